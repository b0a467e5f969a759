using System.Text.Json;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Server.Internal.Pipeline;

/// <summary>One push waiting for the writer: who sent it, what, who is charged for it, and where its answer goes. A
/// long push runs in slices over several commits (see <see cref="PushQueue"/>), so it carries how far it got.</summary>
internal sealed class PushWork
{
    private readonly TaskCompletionSource<PushOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<MutationResult> _results;
    private long _lastMutationId;

    public PushWork(string userId, PushRequest request, string owner, CancellationToken callerGone)
    {
        UserId = userId;
        Request = request;
        Owner = owner;
        CallerGone = callerGone;
        _results = new List<MutationResult>(request.Mutations.Count);
    }

    /// <summary>A single mutation of a front end (LiveStore, Replicache) whose own protocol makes a retry safe: it runs
    /// outside the client's mutation-id sequence, with the given mutator instance rather than a registered one.</summary>
    public PushWork(string userId, string clientId, IMutator mutator, JsonElement args, string owner, CancellationToken callerGone)
        : this(userId, new PushRequest(clientId, [new Mutation(0, mutator.Name, args)]), owner, callerGone)
    {
        Direct = mutator;
    }

    /// <summary>The user the mutations run as.</summary>
    public string UserId { get; }
    public PushRequest Request { get; }
    public IMutator? Direct { get; }

    /// <summary>Whose fair share of the writer this push uses: the authenticated caller.</summary>
    public string Owner { get; }

    /// <summary>Cancelled when nobody waits for the answer any more; the writer then skips what is left.</summary>
    public CancellationToken CallerGone { get; }

    public Task<PushOutcome> Outcome => _outcome.Task;

    /// <summary>Index of the first mutation no commit has run yet.</summary>
    public int Next { get; private set; }

    public int Remaining => Request.Mutations.Count - Next;

    /// <summary>When this push last entered the queue (a stopwatch timestamp).</summary>
    public long QueuedAt { get; set; }

    /// <summary>What waiting costs its user's share: its mutations, and at least one, since even an empty push reads
    /// and writes its client's state.</summary>
    public int Cost => Math.Max(1, Remaining);

    /// <summary>Its node in its owner's queue while queued (null when not queued).</summary>
    public LinkedListNode<PushWork>? InOwnerQueue { get; set; }

    public CancellationTokenRegistration CallerGoneRegistration { get; set; }

    /// <summary>Takes the next <paramref name="count"/> mutations for a commit.</summary>
    public PushSlice TakeSlice(int count)
    {
        int start = Next;
        count = Math.Min(count, Remaining);
        IReadOnlyList<Mutation> mutations = start == 0 && count == Request.Mutations.Count
            ? Request.Mutations
            : [.. Request.Mutations.Skip(start).Take(count)];
        Next = start + count;
        return new PushSlice(this, new PushRequest(Request.ClientId, mutations), IsFirst: start == 0);
    }

    /// <summary>Adds a committed slice's results; answers the push when it was the last slice.</summary>
    public void Accept(PushResult slice)
    {
        _results.AddRange(slice.Results);
        _lastMutationId = slice.LastMutationId;
        if (Remaining == 0)
        {
            Complete(PushOutcome.Of(new PushResult(_results, _lastMutationId)));
        }
    }

    public void Complete(PushOutcome outcome) => _outcome.TrySetResult(outcome);
}

/// <summary>The part of a push that one commit runs.</summary>
internal sealed record PushSlice(PushWork Work, PushRequest Request, bool IsFirst);

/// <summary>The answer to a push: a result, or an error for the whole request.</summary>
internal sealed record PushOutcome(PushResult? Result, ErrorBody? Error)
{
    public static PushOutcome Of(PushResult result) => new(result, null);
    public static PushOutcome Failed(ErrorBody error) => new(null, error);

    public static readonly PushOutcome Unavailable = Failed(new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; retry later."));
    public static readonly PushOutcome Overloaded = Failed(new ErrorBody(ErrorCodes.Unavailable, "The server is overloaded; retry later."));
    public static readonly PushOutcome UserQueueFull = Failed(new ErrorBody(ErrorCodes.RateLimited, "This user has too many mutations waiting for the writer; retry later."));
}
