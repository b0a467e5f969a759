using Microsoft.JSInterop;

namespace IssueTracker.Web.Services;

/// <summary>Remembers the signed-in user in localStorage so a reload stays signed in. Calls the browser's own
/// localStorage functions by name: no eval and no script file to ship.</summary>
public sealed class UserStorage(IJSRuntime js)
{
    private const string Key = "tether.userId";

    public ValueTask<string?> GetAsync() => js.InvokeAsync<string?>("localStorage.getItem", Key);

    public ValueTask SetAsync(string userId) => js.InvokeVoidAsync("localStorage.setItem", Key, userId);

    public ValueTask ClearAsync() => js.InvokeVoidAsync("localStorage.removeItem", Key);
}
