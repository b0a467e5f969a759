using System.Text.Json;
using Tether.Client.Internal;

namespace Tether.Client.Tests.Convergence;

/// <summary>The faults a test injects into one client's live channels (every channel it opens, across reconnects and
/// restarts): break the current one, deliver the next frames twice, or hold the next frames for a while (in order).</summary>
internal sealed class ChannelFaults
{
    private readonly Lock _lock = new();
    private FaultyLiveChannel? _current;
    private int _duplicates;
    private int _delayed;
    private TimeSpan _delay;

    /// <summary>How often each fault really happened (for the statistics of a run).</summary>
    public int Breaks;
    public int Duplicated;
    public int Delayed;

    public ILiveChannel Wrap(ILiveChannel inner)
    {
        var channel = new FaultyLiveChannel(inner, this);
        lock (_lock)
        {
            _current = channel;
        }
        return channel;
    }

    /// <summary>Breaks the open channel: its stream ends (as when the server goes away) or it throws an IOException
    /// (as when the connection drops). Nothing happens when no channel is open.</summary>
    public void Break(bool endStream)
    {
        FaultyLiveChannel? current;
        lock (_lock)
        {
            current = _current;
        }
        if (current?.Break(endStream) == true)
        {
            Interlocked.Increment(ref Breaks);
        }
    }

    public void DuplicateNext(int frames)
    {
        lock (_lock)
        {
            _duplicates += frames;
        }
    }

    public void DelayNext(int frames, TimeSpan delay)
    {
        lock (_lock)
        {
            _delayed += frames;
            _delay = delay;
        }
    }

    internal bool TakeDuplicate()
    {
        lock (_lock)
        {
            if (_duplicates == 0)
            {
                return false;
            }
            _duplicates--;
            Duplicated++;
            return true;
        }
    }

    internal TimeSpan TakeDelay()
    {
        lock (_lock)
        {
            if (_delayed == 0)
            {
                return TimeSpan.Zero;
            }
            _delayed--;
            Delayed++;
            return _delay;
        }
    }
}

/// <summary>A live channel that obeys <see cref="ChannelFaults"/>.</summary>
internal sealed class FaultyLiveChannel(ILiveChannel inner, ChannelFaults faults) : ILiveChannel
{
    private readonly CancellationTokenSource _broken = new();
    private volatile bool _endStream;
    private JsonElement? _again;

    /// <summary>Breaks this channel; false when it was already closed or broken.</summary>
    public bool Break(bool endStream)
    {
        _endStream = endStream;
        try
        {
            if (_broken.IsCancellationRequested)
            {
                return false;
            }
            _broken.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public async ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_again is { } again)
        {
            _again = null;
            return again;
        }
        JsonElement? frame;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _broken.Token))
        {
            try
            {
                _broken.Token.ThrowIfCancellationRequested();
                frame = await inner.ReceiveAsync(linked.Token);
                TimeSpan delay = faults.TakeDelay();
                if (delay > TimeSpan.Zero)
                {
                    // The deliberate "slow network" fault: the frame is held, later ones wait behind it.
                    await Task.Delay(delay, linked.Token);
                }
            }
            catch (OperationCanceledException) when (_broken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return _endStream ? null : throw new IOException("The test broke the live channel.");
            }
        }
        if (frame is not null && faults.TakeDuplicate())
        {
            _again = frame;
        }
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        _broken.Dispose();
        await inner.DisposeAsync();
    }
}
