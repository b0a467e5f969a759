using Microsoft.JSInterop;

namespace Tether.Client.Browser.Internal;

/// <summary>The .NET end of <c>tether-network.js</c>: one client, one set of event listeners.</summary>
internal sealed class NetworkWatcher(TetherClient client, IJSObjectReference module) : IAsyncDisposable
{
    private DotNetObjectReference<NetworkWatcher>? _reference;
    private IJSObjectReference? _listeners;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _reference = DotNetObjectReference.Create(this);
        _listeners = await module.InvokeAsync<IJSObjectReference>("follow", cancellationToken, _reference).ConfigureAwait(false);
        // Read after the listeners are in place, so no change can fall between the two.
        client.SetNetworkAvailable(await _listeners.InvokeAsync<bool>("isOnline", cancellationToken).ConfigureAwait(false));
    }

    [JSInvokable]
    public void NetworkChanged(bool online) => client.SetNetworkAvailable(online);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_listeners is not null)
            {
                await _listeners.InvokeVoidAsync("stop").ConfigureAwait(false);
                await _listeners.DisposeAsync().ConfigureAwait(false);
            }
            await module.DisposeAsync().ConfigureAwait(false);
        }
        catch (JSDisconnectedException)
        {
            // The page is going away; its listeners go with it.
        }
        finally
        {
            _reference?.Dispose();
        }
    }
}
