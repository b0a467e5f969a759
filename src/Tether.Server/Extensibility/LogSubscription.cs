using System.Threading.Channels;

using Tether.Server.Internal.Fanout;

namespace Tether.Server.Extensibility;

/// <summary>A connection's place in the committed-log feed (<see cref="ITetherLogFeed.Subscribe"/>): a bounded queue
/// of batches after <see cref="StartSyncId"/>. When the queue is full the subscription is cut: a slow reader must catch
/// up from the log (a snapshot's log read) and subscribe again, instead of growing the server's memory.</summary>
public sealed class LogSubscription : IDisposable
{
    private readonly Channel<LogBatch> _queue;
    private readonly FanoutHub _hub;
    private readonly CancellationTokenSource _cut = new();

    internal LogSubscription(FanoutHub hub, long startSyncId, int capacity)
    {
        _hub = hub;
        StartSyncId = startSyncId;
        _queue = Channel.CreateBounded<LogBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The tailer's position when this subscription was registered: batches start right after it.</summary>
    public long StartSyncId { get; }

    /// <summary>True once the queue overflowed; the reader finds the queue completed.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The batches committed after <see cref="StartSyncId"/>, in order; completed when the subscription is cut
    /// or the server stops.</summary>
    public ChannelReader<LogBatch> Batches => _queue.Reader;

    /// <summary>Cancelled when the subscription is cut for being slow, so a send blocked on a reader that does not
    /// read is abandoned too.</summary>
    public CancellationToken Cut => _cut.Token;

    /// <summary>Called by the hub with its lock held; returns false when the queue is full and the subscriber must be
    /// cut (<see cref="CutOff"/>, outside the lock: cancellation runs callbacks).</summary>
    internal bool Offer(LogBatch batch)
    {
        if (_queue.Writer.TryWrite(batch))
        {
            return true;
        }
        Overflowed = true;
        _queue.Writer.TryComplete();
        return false;
    }

    internal void CutOff() => _cut.Cancel();

    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>Leaves the feed.</summary>
    // The token source is not disposed: the hub may still cut a subscription its connection has just left, and a
    // source without timers holds nothing that needs releasing.
    public void Dispose() => _hub.Unsubscribe(this);
}
