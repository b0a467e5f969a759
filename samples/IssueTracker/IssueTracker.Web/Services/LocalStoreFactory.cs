using Tether.Client;

namespace IssueTracker.Web.Services;

/// <summary>
/// The one place the app chooses where a user's local copy lives. In memory for now (a reload bootstraps again and
/// loses unsent changes); the IndexedDB store of Tether.Client.Browser replaces it here, which is why this is async
/// and takes the user: a persistent store opens per user.
/// </summary>
public static class LocalStoreFactory
{
    public static ValueTask<ILocalStore> CreateAsync(string userId)
    {
        _ = userId;
        return ValueTask.FromResult<ILocalStore>(new InMemoryLocalStore());
    }
}
