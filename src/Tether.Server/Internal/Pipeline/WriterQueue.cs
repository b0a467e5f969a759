using System.Diagnostics;
using Tether.Protocol;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Tether.Server.Internal.Pipeline;

/// <summary>
/// The writer's queue, fair between users. Each user (the <see cref="WriterWork.Owner"/>) has a queue of its own, and a
/// commit takes at most <see cref="TetherLimits.MaxMutationsPerUserPerCommit"/> mutations of each user with queued
/// work, visiting users in turn; a longer push runs in slices over several commits, and the user then goes to the back
/// of the turn order. So one user's flood delays another user's push by at most one commit of bounded size, and a
/// user can queue only so much work (<see cref="TetherLimits.MaxQueuedMutationsPerUser"/>) before being told to slow
/// down (429). The whole queue is bounded too (503): by count, and by how long the user whose turn is next has waited
/// for it, which measures how slowly the writer goes round rather than how far behind one flooding user is.
/// <para>Several writer loops may take batches at once. A user with a slice in a transaction that has not ended yet
/// (in flight) is out of the turns until <see cref="Release"/>: a client's mutation ids must reach the store in
/// order, and a later slice must begin only after the one before it committed.</para>
/// </summary>
internal sealed class WriterQueue
{
    private readonly Lock _gate = new();
    private readonly TetherLimits _limits;
    private readonly Dictionary<string, OwnerQueue> _owners = new(StringComparer.Ordinal);
    private readonly Queue<OwnerQueue> _turns = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = false,
    });
    private readonly TetherMetrics _metrics;
    private int _queuedPushes;
    private bool _completed;

    public WriterQueue(IOptions<TetherServerOptions> options, TetherMetrics metrics)
    {
        _limits = options.Value.Limits;
        _metrics = metrics;
    }

    /// <summary>How long the user whose turn is next has waited for it; zero when none waits.</summary>
    public TimeSpan OldestWait
    {
        get
        {
            lock (_gate)
            {
                return OldestWaitLocked();
            }
        }
    }

    public int QueuedPushes
    {
        get
        {
            lock (_gate)
            {
                return _queuedPushes;
            }
        }
    }

    /// <summary>Queues a push; returns the refusal when it may not wait (null when queued).</summary>
    public ErrorBody? TryEnqueue(WriterWork work)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return WriterRefusals.Unavailable;
            }
            if (_queuedPushes >= _limits.MaxQueuedPushes || OldestWaitLocked() > _limits.MaxQueueWait)
            {
                return WriterRefusals.Overloaded;
            }
            OwnerQueue owner = OwnerOf(work.Owner);
            // A user with nothing queued may always queue one push, however long.
            if (owner.Mutations > 0 && owner.Mutations + work.Cost > _limits.MaxQueuedMutationsPerUser)
            {
                return WriterRefusals.UserQueueFull;
            }
            AddLocked(owner, work, atFront: false);
        }
        Queued(work);
        return null;
    }

    /// <summary>Puts back a push whose first slices were committed; it keeps its place before the user's later
    /// pushes (a client's mutation ids must arrive in order), and the user waits for its next turn, which
    /// <see cref="Release"/> gives it.</summary>
    public void Requeue(WriterWork work)
    {
        bool queued;
        lock (_gate)
        {
            queued = !_completed;
            if (queued)
            {
                AddLocked(OwnerOf(work.Owner), work, atFront: true);
            }
        }
        if (queued)
        {
            Queued(work);
        }
        else
        {
            work.Complete(WriterRefusals.NotCommitted);
        }
    }

    /// <summary>Waits until some push is queued; false once the queue is completed.</summary>
    public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_turns.Count > 0)
                {
                    return true;
                }
                if (_completed)
                {
                    return false;
                }
            }
            await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the next commit's slices into <paramref name="batch"/>: one turn of each user with queued work
    /// and nothing in flight, at most <paramref name="maxMutations"/> in all. The users taken are in flight until
    /// <see cref="Release"/>. Pushes whose callers have gone are answered and dropped.</summary>
    public void TakeBatch(List<WriterSlice> batch, int maxMutations)
    {
        int perOwner = Math.Max(1, _limits.MaxMutationsPerUserPerCommit);
        List<WriterWork>? gone = null;
        lock (_gate)
        {
            int budget = maxMutations;
            for (int turns = _turns.Count; turns > 0 && budget > 0; turns--)
            {
                OwnerQueue owner = _turns.Dequeue();
                owner.InTurns = false;
                int share = Math.Min(perOwner, budget);
                while (share > 0 && owner.Works.First is { } first)
                {
                    WriterWork work = first.Value;
                    RemoveLocked(owner, work);
                    if (work.CallerGone.IsCancellationRequested)
                    {
                        (gone ??= []).Add(work);
                        continue;
                    }
                    WriterSlice slice = work.TakeSlice(share);
                    int cost = slice.Cost;
                    share -= cost;
                    budget -= cost;
                    batch.Add(slice);
                    owner.InFlight = true;
                    if (work.Remaining > 0)
                    {
                        // The rest comes back with Requeue after this commit; nothing of this user may run before it.
                        break;
                    }
                }
                if (!owner.InFlight)
                {
                    Settle(owner);
                }
            }
        }
        foreach (WriterWork work in gone ?? [])
        {
            AnswerGone(work);
        }
    }

    /// <summary>Ends the flight of the users <paramref name="batch"/> took, once its transaction ended (committed or
    /// not) and what is left of their pushes was put back: each goes to the back of the turns when it has queued work.</summary>
    public void Release(IReadOnlyList<WriterSlice> batch)
    {
        bool turned = false;
        lock (_gate)
        {
            foreach (WriterSlice slice in batch)
            {
                if (_owners.TryGetValue(slice.Work.Owner, out OwnerQueue? owner) && owner.InFlight)
                {
                    owner.InFlight = false;
                    Settle(owner);
                    turned |= owner.InTurns;
                }
            }
        }
        if (turned)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    /// <summary>Refuses every later push and hands back the pushes still queued, for the caller to answer.</summary>
    public List<WriterWork> Complete()
    {
        lock (_gate)
        {
            _completed = true;
            List<WriterWork> left = [.. _owners.Values.SelectMany(owner => owner.Works)];
            foreach (WriterWork work in left)
            {
                work.InOwnerQueue = null;
            }
            _owners.Clear();
            _turns.Clear();
            _queuedPushes = 0;
            _wake.Writer.TryComplete();
            return left;
        }
    }

    private TimeSpan OldestWaitLocked()
        => _turns.TryPeek(out OwnerQueue? next) ? Stopwatch.GetElapsedTime(next.WaitingSince) : TimeSpan.Zero;

    private OwnerQueue OwnerOf(string owner)
    {
        if (!_owners.TryGetValue(owner, out OwnerQueue? queue))
        {
            queue = new OwnerQueue(owner);
            _owners.Add(owner, queue);
        }
        return queue;
    }

    private void AddLocked(OwnerQueue owner, WriterWork work, bool atFront)
    {
        work.QueuedAt = Stopwatch.GetTimestamp();
        work.InOwnerQueue = atFront ? owner.Works.AddFirst(work) : owner.Works.AddLast(work);
        owner.Mutations += work.Cost;
        _queuedPushes++;
        if (!owner.InTurns && !owner.InFlight)
        {
            EnqueueTurn(owner);
        }
    }

    private void RemoveLocked(OwnerQueue owner, WriterWork work)
    {
        owner.Works.Remove(work.InOwnerQueue!);
        owner.Mutations -= work.Cost;
        _queuedPushes--;
        work.InOwnerQueue = null;
        work.CallerGoneRegistration.Unregister();
    }

    /// <summary>Wakes the writer, and takes the push out of the queue as soon as its caller goes away, so that it
    /// neither runs nor counts against its user's queue any longer.</summary>
    private void Queued(WriterWork work)
    {
        _wake.Writer.TryWrite(true);
        if (!work.CallerGone.CanBeCanceled)
        {
            return;
        }
        // Registered outside the lock: with a token already cancelled, the callback runs at once on this thread.
        CancellationTokenRegistration registration = work.CallerGone.UnsafeRegister(
            static state =>
            {
                (WriterQueue queue, WriterWork gone) = ((WriterQueue, WriterWork))state!;
                queue.Withdraw(gone);
            },
            (this, work));
        lock (_gate)
        {
            if (work.InOwnerQueue is null)
            {
                registration.Unregister();
            }
            else
            {
                // A push taken and put back before this line ran registered again; one registration is enough.
                work.CallerGoneRegistration.Unregister();
                work.CallerGoneRegistration = registration;
            }
        }
    }

    private void Withdraw(WriterWork work)
    {
        lock (_gate)
        {
            if (work.InOwnerQueue is null)
            {
                return;
            }
            RemoveLocked(_owners[work.Owner], work);
        }
        AnswerGone(work);
    }

    private void AnswerGone(WriterWork work)
    {
        // Nobody waits for this answer; running the push would only delay those who do.
        _metrics.PushesRefused.Add(1, new KeyValuePair<string, object?>("reason", "caller_gone"));
        work.Complete(WriterRefusals.NotCommitted);
    }

    /// <summary>A user with more queued work waits for its next turn; one with none is forgotten.</summary>
    private void Settle(OwnerQueue owner)
    {
        if (owner.Works.Count > 0)
        {
            EnqueueTurn(owner);
        }
        else
        {
            _owners.Remove(owner.Name);
        }
    }

    private void EnqueueTurn(OwnerQueue owner)
    {
        owner.InTurns = true;
        owner.WaitingSince = Stopwatch.GetTimestamp();
        _turns.Enqueue(owner);
    }

    private sealed class OwnerQueue(string name)
    {
        public string Name { get; } = name;
        public LinkedList<WriterWork> Works { get; } = new();

        /// <summary>What the user's queued pushes cost (<see cref="WriterWork.Cost"/>).</summary>
        public int Mutations { get; set; }
        public bool InTurns { get; set; }

        /// <summary>A slice of the user is in a transaction that has not ended: the user waits outside the turns.</summary>
        public bool InFlight { get; set; }

        /// <summary>When the user last began to wait for a turn (a stopwatch timestamp).</summary>
        public long WaitingSince { get; set; }
    }
}
