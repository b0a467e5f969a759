using System.Diagnostics;
using System.Threading.Channels;

using Tether.Server.Storage;

namespace Tether.Server.Internal.Fanout;

/// <summary>Wakes the log tailer after a local commit and remembers when the oldest unpublished commit happened
/// (for the fan-out latency metric).</summary>
internal sealed class CommitSignal : ITetherCommitSignal
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    // Enough to link a fan-out to the commits it publishes under a steady load; beyond it the oldest go unlinked.
    private const int MaxTraces = 64;
    private readonly Queue<ActivityContext> _traces = new();
    private long _oldestUnpublished;

    /// <summary>A commit of this node's, with its span (none when nobody traces it).</summary>
    public void NotifyCommitted(ActivityContext trace)
    {
        if (trace != default)
        {
            lock (_traces)
            {
                if (_traces.Count == MaxTraces)
                {
                    _traces.Dequeue();
                }
                _traces.Enqueue(trace);
            }
        }
        NotifyCommitted();
    }

    public void NotifyCommitted()
    {
        Interlocked.CompareExchange(ref _oldestUnpublished, Stopwatch.GetTimestamp(), 0);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Waits for a commit or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _wake.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed: look at the log anyway, in case a commit was not signalled (another process).
        }
    }

    /// <summary>The timestamp of the oldest commit not yet published, and forgets it.</summary>
    public long TakeOldestUnpublished() => Interlocked.Exchange(ref _oldestUnpublished, 0);

    /// <summary>The spans of the commits signalled since the last call.</summary>
    public ActivityContext[] TakeUnpublishedTraces()
    {
        lock (_traces)
        {
            ActivityContext[] traces = [.. _traces];
            _traces.Clear();
            return traces;
        }
    }
}
