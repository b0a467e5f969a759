using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.Server.Internal.Pipeline;

/// <summary>A front end's unit of work, run whole inside the writer's transaction.</summary>
internal delegate ValueTask WriteUnit(IWriteScope scope, CancellationToken cancellationToken);

/// <summary>One piece of work waiting for the writer: a client's push or a front end's unit of work; who sent it, who
/// is charged for it, and where its answer goes. A long push runs in slices over several commits (see
/// <see cref="WriterQueue"/>), so it carries how far it got; a unit is never split.</summary>
internal sealed class WriterWork
{
    private readonly TaskCompletionSource<WriteOutcome<PushResult>> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<MutationResult> _results = [];
    private readonly int _unitCost;
    private long _lastMutationId;

    public WriterWork(string userId, PushRequest request, string owner, CancellationToken callerGone)
    {
        UserId = userId;
        Request = request;
        Owner = owner;
        CallerGone = callerGone;
    }

    public WriterWork(WriteOptions options, WriteUnit unit, CancellationToken callerGone)
    {
        UserId = options.UserId;
        Owner = options.Owner ?? options.UserId;
        CallerGone = callerGone;
        Unit = unit;
        _unitCost = Math.Max(1, options.Cost);
    }

    /// <summary>The user the mutations run as.</summary>
    public string UserId { get; }

    /// <summary>The client's push; null for a unit of work.</summary>
    public PushRequest? Request { get; }

    public WriteUnit? Unit { get; }

    /// <summary>Whose fair share of the writer this push uses: the authenticated caller.</summary>
    public string Owner { get; }

    /// <summary>Cancelled when nobody waits for the answer any more; the writer then skips what is left.</summary>
    public CancellationToken CallerGone { get; }

    public Task<WriteOutcome<PushResult>> Outcome => _outcome.Task;

    /// <summary>Index of the first mutation no commit has run yet (for a unit: 1 once taken).</summary>
    public int Next { get; private set; }

    public int Remaining => (Request?.Mutations.Count ?? 1) - Next;

    /// <summary>When this push last entered the queue (a stopwatch timestamp).</summary>
    public long QueuedAt { get; set; }

    /// <summary>What waiting costs its user's share: its mutations, and at least one, since even an empty push reads
    /// and writes its client's state; a unit's declared cost.</summary>
    public int Cost => Unit is null ? Math.Max(1, Remaining) : _unitCost;

    /// <summary>Its node in its owner's queue while queued (null when not queued).</summary>
    public LinkedListNode<WriterWork>? InOwnerQueue { get; set; }

    public CancellationTokenRegistration CallerGoneRegistration { get; set; }

    /// <summary>Takes the next <paramref name="count"/> mutations for a commit.</summary>
    public WriterSlice TakeSlice(int count)
    {
        if (Request is null)
        {
            Next = 1;
            return new WriterSlice(this, null, IsFirst: true, _unitCost);
        }
        int start = Next;
        count = Math.Min(count, Remaining);
        IReadOnlyList<Mutation> mutations = start == 0 && count == Request.Mutations.Count
            ? Request.Mutations
            : [.. Request.Mutations.Skip(start).Take(count)];
        Next = start + count;
        return new WriterSlice(this, new PushRequest(Request.ClientId, mutations), IsFirst: start == 0, Math.Max(1, mutations.Count));
    }

    /// <summary>Adds a committed slice's results; answers the push when it was the last slice.</summary>
    public void Accept(PushResult slice)
    {
        if (Unit is not null)
        {
            Complete(WriteOutcome<PushResult>.Applied(slice));
            return;
        }
        _results.AddRange(slice.Results);
        _lastMutationId = slice.LastMutationId;
        if (Remaining == 0)
        {
            Complete(WriteOutcome<PushResult>.Applied(new PushResult(_results, _lastMutationId)));
        }
    }

    public void Complete(WriteOutcome<PushResult> outcome) => _outcome.TrySetResult(outcome);
}

/// <summary>The part of a piece of work that one commit runs (a unit's whole, with a null request), and what it costs
/// its owner's share.</summary>
internal sealed record WriterSlice(WriterWork Work, PushRequest? Request, bool IsFirst, int Cost);

/// <summary>The writer's refusals of work it did not run.</summary>
internal static class WriterRefusals
{
    public static readonly ErrorBody Unavailable = new(ErrorCodes.Unavailable, "The store is unavailable; retry later.");
    public static readonly ErrorBody Overloaded = new(ErrorCodes.Unavailable, "The server is overloaded; retry later.");
    public static readonly ErrorBody UserQueueFull = new(ErrorCodes.RateLimited, "This user has too many mutations waiting for the writer; retry later.");

    /// <summary>The answer to work that was not committed.</summary>
    public static readonly WriteOutcome<PushResult> NotCommitted = WriteOutcome<PushResult>.Unavailable(Unavailable);
}
