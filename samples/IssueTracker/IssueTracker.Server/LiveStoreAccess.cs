using Tether.LiveStore;

namespace IssueTracker.Server;

/// <summary>Who may use which LiveStore store: any signed-in user may use a shared store; a store named
/// <c>user-&lt;id&gt;</c> or <c>user-&lt;id&gt;-…</c> belongs to that user alone.</summary>
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
}
