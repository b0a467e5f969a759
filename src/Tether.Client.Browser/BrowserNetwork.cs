using Microsoft.JSInterop;
using Tether.Client.Browser.Internal;

namespace Tether.Client.Browser;

/// <summary>
/// Passes the browser's connectivity (<c>navigator.onLine</c> and the <c>online</c>/<c>offline</c> events) to a
/// <see cref="TetherClient"/> through <see cref="TetherClient.SetNetworkAvailable"/>: the client drops its connection
/// the moment the browser loses the network and reconnects the moment it is back, instead of finding out by timeouts.
/// </summary>
public static class BrowserNetwork
{
    /// <summary>Where the module is served from by the static web assets of this library.</summary>
    public const string ModulePath = "./_content/Tether.Client.Browser/tether-network.js";

    /// <summary>Whether the browser says it is online now (<c>navigator.onLine</c>): pass it as
    /// <see cref="TetherClientOptions.NetworkAvailable"/>, so that a page opened offline tries nothing.</summary>
    public static async Task<bool> IsOnlineAsync(IJSRuntime js, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        await using IJSObjectReference module = await js.InvokeAsync<IJSObjectReference>("import", cancellationToken, ModulePath).ConfigureAwait(false);
        return await module.InvokeAsync<bool>("isOnline", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts following the browser's connectivity; dispose the result to stop (before disposing the
    /// client).</summary>
    public static async Task<IAsyncDisposable> FollowAsync(IJSRuntime js, TetherClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(client);
        IJSObjectReference module = await js.InvokeAsync<IJSObjectReference>("import", cancellationToken, ModulePath).ConfigureAwait(false);
        var watcher = new NetworkWatcher(client, module);
        try
        {
            await watcher.StartAsync(cancellationToken).ConfigureAwait(false);
            return watcher;
        }
        catch
        {
            await watcher.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
