using System.Collections.Concurrent;
using System.Diagnostics;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// What this node knows of the sequencer's progress: the head and WAL position of the last round it heard of, and the
/// write batches of this node that wait for their syncIds. Fed by the commit listener (each round's NOTIFY) and, for
/// batches a notification did not name (lost, or too many for one payload), by reading <c>tether_wal_transactions</c>.
/// </summary>
internal sealed class SequencerState
{
    private readonly ConcurrentDictionary<string, Waiter> _batches = new(StringComparer.Ordinal);
    private readonly Lock _lsnLock = new();
    private readonly List<(NpgsqlLogSequenceNumber Lsn, TaskCompletionSource Done)> _lsnWaiters = [];
    private NpgsqlLogSequenceNumber _lsn;
    private readonly string _node = Guid.NewGuid().ToString("N")[..12];
    private long _head;
    private long _keys;

    public long Head => Volatile.Read(ref _head);

    /// <summary>Why the sequencer stopped for good on this node (a synced table it cannot read), or null.</summary>
    public string? Stopped { get; set; }

    /// <summary>Makes the key of this node's next write batch (or fence).</summary>
    public string NextKey(string kind) => kind + "-" + _node + "-" + Interlocked.Increment(ref _keys).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public NpgsqlLogSequenceNumber Lsn
    {
        get
        {
            lock (_lsnLock)
            {
                return _lsn;
            }
        }
    }

    /// <summary>Registers a write batch before its transaction commits; the task completes with the head right after
    /// the batch's own actions once a round sequenced it.</summary>
    public Task<long> Expect(string batchKey)
    {
        var waiter = new Waiter(Stopwatch.GetTimestamp());
        if (!_batches.TryAdd(batchKey, waiter))
        {
            throw new InvalidOperationException($"The batch key '{batchKey}' is already waiting.");
        }
        return waiter.Sequenced.Task;
    }

    /// <summary>The batch's transaction did not commit: nothing will sequence it.</summary>
    public void Forget(string batchKey) => _batches.TryRemove(batchKey, out _);

    public void Advance(SequencerNotice notice)
    {
        long head;
        do
        {
            head = Volatile.Read(ref _head);
        }
        while (notice.Head > head && Interlocked.CompareExchange(ref _head, notice.Head, head) != head);
        foreach ((string key, long last) in notice.Batches)
        {
            Complete(key, last);
        }
        lock (_lsnLock)
        {
            if (notice.Lsn > _lsn)
            {
                _lsn = notice.Lsn;
            }
            for (int i = _lsnWaiters.Count - 1; i >= 0; i--)
            {
                if (_lsnWaiters[i].Lsn <= _lsn)
                {
                    _lsnWaiters[i].Done.TrySetResult();
                    _lsnWaiters.RemoveAt(i);
                }
            }
        }
    }

    public void Complete(string batchKey, long last)
    {
        if (_batches.TryRemove(batchKey, out Waiter? waiter))
        {
            waiter.Sequenced.TrySetResult(last);
        }
    }

    /// <summary>Completes when a round reached <paramref name="lsn"/>: everything that committed before it is in the log.</summary>
    public Task WaitForLsnAsync(NpgsqlLogSequenceNumber lsn, CancellationToken cancellationToken)
    {
        lock (_lsnLock)
        {
            if (_lsn >= lsn)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _lsnWaiters.Add((lsn, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The batches waiting for longer than <paramref name="age"/>: a notification may have missed them.</summary>
    public IReadOnlyList<string> WaitingLongerThan(TimeSpan age)
        => [.. _batches.Where(b => Stopwatch.GetElapsedTime(b.Value.Since) >= age).Select(b => b.Key)];

    private sealed class Waiter(long since)
    {
        public long Since { get; } = since;

        public TaskCompletionSource<long> Sequenced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
