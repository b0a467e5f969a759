using Microsoft.Extensions.Options;
using Tether.Server;
using Tether.LiveStore;

namespace IssueTracker.Server;

/// <summary>Who may use which LiveStore store: any signed-in user may use a shared store; a store named
/// <c>user-&lt;id&gt;</c> or <c>user-&lt;id&gt;-…</c> belongs to that user alone. The users named by <c>--admins</c>
/// (comma-separated) or <c>Tether:Admins</c> (an array), the server's admins, may list and reset stores; nobody may by
/// default.</summary>
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

    /// <summary>The server's admins (<see cref="TetherServerOptions.Admins"/>) administer LiveStore stores too.</summary>
    public static ValueTask<bool> IsAdminAsync(LiveStoreAdminContext context)
        => ValueTask.FromResult(context.HttpContext.RequestServices.GetRequiredService<IOptions<TetherServerOptions>>().Value.Admins.Contains(context.UserId));

    /// <summary>The users of <c>--admins alice,bob</c>, added to <see cref="TetherServerOptions.Admins"/> (which
    /// <c>Tether:Admins</c>, an array, also fills).</summary>
    public static IEnumerable<string> AdminNames(IConfiguration configuration)
        => (configuration["admins"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
