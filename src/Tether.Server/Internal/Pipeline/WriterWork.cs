using System.Diagnostics;
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
    /// <summary>When the last committed slice's actions have their syncIds, on a store that sequences commits later.</summary>
    private Task<long>? _sequenced;

    public WriterWork(string userId, PushRequest request, string owner, CancellationToken callerGone)
    {
        Trace = Activity.Current?.Context ?? default;
        UserId = userId;
        Request = request;
        Owner = owner;
        CallerGone = callerGone;
    }

    public WriterWork(WriteOptions options, WriteUnit unit, CancellationToken callerGone)
    {
        Trace = Activity.Current?.Context ?? default;
        UserId = options.UserId;
        Owner = options.Owner ?? options.UserId;
        CallerGone = callerGone;
        Unit = unit;
        _unitCost = Math.Max(1, options.Cost);
    }

    /// <summary>The span of the request that queued this work (none when nobody traces it): the commit links to it.</summary>
    public ActivityContext Trace { get; }

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

    /// <summary>Adds a committed slice's results; answers the push when it was the last slice. <paramref name="sequenced"/>
    /// is <see cref="Storage.CommittedBatch.Sequenced"/> of the slice's commit on a store that sequences commits later
    /// (null otherwise): the answer then waits for the last slice's, and each result's lastSyncId becomes the head it
    /// gives. Slices commit one after the other, so the last one is sequenced last and its head bounds them all.</summary>
    public void Accept(PushResult slice, Task<long>? sequenced)
    {
        _sequenced = sequenced ?? _sequenced;
        if (Unit is null)
        {
            _results.AddRange(slice.Results);
            _lastMutationId = slice.LastMutationId;
            if (Remaining > 0)
            {
                return;
            }
            slice = new PushResult(_results, _lastMutationId);
        }
        if (_sequenced is null)
        {
            Complete(WriteOutcome<PushResult>.Applied(slice));
        }
        else
        {
            _ = CompleteWhenSequencedAsync(slice, _sequenced);
        }
    }

    public void Complete(WriteOutcome<PushResult> outcome) => _outcome.TrySetResult(outcome);

    private async Task CompleteWhenSequencedAsync(PushResult result, Task<long> sequenced)
    {
        long head;
        try
        {
            head = await sequenced.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Committed, but not known to be in the log: the client must not take it as applied yet. Its retry is
            // answered as a duplicate. The pipeline logs why, once per commit.
            Complete(WriterRefusals.NotSequenced);
            return;
        }
        Complete(WriteOutcome<PushResult>.Applied(result with { Results = [.. result.Results.Select(r => AtHead(r, head))] }));
    }

    /// <summary>An applied or duplicate result carries the head after its transaction: at or after every action it
    /// made, which is all the client's release rule needs.</summary>
    private static MutationResult AtHead(MutationResult result, long head)
        => result.Status is MutationStatus.Applied or MutationStatus.Duplicate ? result with { LastSyncId = head } : result;
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

    /// <summary>The answer to work that lost to concurrent writers every time it was tried.</summary>
    public static readonly WriteOutcome<PushResult> Conflicted = WriteOutcome<PushResult>.Unavailable(
        new ErrorBody(ErrorCodes.Unavailable, "The write kept conflicting with concurrent writes; retry later."));

    /// <summary>The answer to work that was committed but whose place in the log the store could not confirm in time.</summary>
    public static readonly WriteOutcome<PushResult> NotSequenced = WriteOutcome<PushResult>.Unavailable(
        new ErrorBody(ErrorCodes.Unavailable, "The write was committed, but its place in the log was not confirmed in time; retry: the retry is answered as a duplicate."));
}
