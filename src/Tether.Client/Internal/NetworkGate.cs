namespace Tether.Client.Internal;

/// <summary>
/// Whether the device has a network, as the app last said (<see cref="TetherClient.SetNetworkAvailable"/>). The sync
/// and push loops wait here while it has none, and every change ends the current epoch, which cancels
/// the attempts (and backoff delays) begun before it: going offline drops the connection at once, coming back starts
/// a fresh attempt without waiting out the backoff.
/// </summary>
internal sealed class NetworkGate(bool available)
{
    private readonly Lock _lock = new();
    private bool _available = available;
    private CancellationTokenSource _epoch = new();
    private TaskCompletionSource _online = available ? CompletedSource() : new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsAvailable
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>Waits until the network is available and returns the token of that epoch: it is cancelled when the
    /// network goes away again.</summary>
    public async Task<CancellationToken> WaitAvailableAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task online;
            lock (_lock)
            {
                if (_available)
                {
                    return _epoch.Token;
                }
                online = _online.Task;
            }
            await online.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records the availability; returns false when it was already so (nothing is cancelled then).</summary>
    public bool Set(bool available)
    {
        CancellationTokenSource ended;
        TaskCompletionSource? released = null;
        lock (_lock)
        {
            if (_available == available)
            {
                return false;
            }
            _available = available;
            ended = _epoch;
            _epoch = new CancellationTokenSource();
            if (available)
            {
                released = _online;
            }
            else
            {
                _online = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        // Not disposed: a loop may still be linking to its token (a plain source holds no timer or handle).
        ended.Cancel();
        released?.TrySetResult();
        return true;
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }
}
