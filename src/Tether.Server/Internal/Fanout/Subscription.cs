using System.Threading.Channels;

namespace Tether.Server.Internal.Fanout;

/// <summary>A connection's place in the fan-out: a bounded queue of batches after <see cref="StartSyncId"/>.
/// When the queue is full the subscription is cut (a slow reader resumes with delta instead of growing memory).</summary>
internal sealed class Subscription : IDisposable
{
    private readonly Channel<FanoutBatch> _queue;
    private readonly FanoutHub _hub;
    private readonly CancellationTokenSource _cut = new();

    public Subscription(FanoutHub hub, long startSyncId, int capacity)
    {
        _hub = hub;
        StartSyncId = startSyncId;
        _queue = Channel.CreateBounded<FanoutBatch>(new BoundedChannelOptions(capacity)
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

    public ChannelReader<FanoutBatch> Batches => _queue.Reader;

    /// <summary>Cancelled when the subscription is cut for being slow, so a send blocked on a reader that does not
    /// read is abandoned too.</summary>
    public CancellationToken Cut => _cut.Token;

    /// <summary>Called by the hub with its lock held; returns false when the queue is full and the subscriber must be
    /// cut (<see cref="CutOff"/>, outside the lock: cancellation runs callbacks).</summary>
    internal bool Offer(FanoutBatch batch)
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

    // The token source is not disposed: the hub may still cut a subscription its connection has just left, and a
    // source without timers holds nothing that needs releasing.
    public void Dispose() => _hub.Unsubscribe(this);
}
