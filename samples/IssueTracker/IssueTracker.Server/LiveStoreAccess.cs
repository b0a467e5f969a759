using Tether.LiveStore;

namespace IssueTracker.Server;

/// <summary>Who may use which LiveStore store: any signed-in user may use a shared store; a store named
/// <c>user-&lt;id&gt;</c> or <c>user-&lt;id&gt;-…</c> belongs to that user alone. The users named by <c>--admins</c>
/// (or <c>Tether:Admins</c>), comma-separated, may list and reset stores; nobody may by default.</summary>
public static class LiveStoreAccess
{
    private const string PrivatePrefix = "user-";

    public static ValueTask<bool> AuthorizeAsync(LiveStoreAccessContext context)
    {
        if (context.UserId is not { } userId)
        {
            return ValueTask.FromResult(false);
        }
        if (!context.StoreId.StartsWith(PrivatePrefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(true);
        }
        string owner = PrivatePrefix + userId;
        return ValueTask.FromResult(context.StoreId == owner || context.StoreId.StartsWith(owner + "-", StringComparison.Ordinal));
    }

    public static Func<LiveStoreAdminContext, ValueTask<bool>> AdminsFrom(IConfiguration configuration)
    {
        string list = configuration["admins"] ?? configuration["Tether:Admins"] ?? "";
        HashSet<string> admins = [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        return context => ValueTask.FromResult(admins.Contains(context.UserId));
    }
}
