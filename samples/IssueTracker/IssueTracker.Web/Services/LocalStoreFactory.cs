using Microsoft.JSInterop;
using Tether.Client;
using Tether.Client.Browser;

namespace IssueTracker.Web.Services;

/// <summary>
/// The one place the app chooses where a user's local copy lives: an IndexedDB database per user, so the data and
/// the unsent changes survive reloads and work offline.
/// </summary>
public static class LocalStoreFactory
{
    public static async ValueTask<ILocalStore> CreateAsync(IJSRuntime js, string userId)
        => await IndexedDbLocalStore.OpenAsync(js, "tether-issue-tracker-" + userId);
}
