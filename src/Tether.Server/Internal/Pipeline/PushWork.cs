using System.Text.Json;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Server.Internal.Pipeline;

/// <summary>One push waiting for the writer: who sent it, what, and where its answer goes.</summary>
internal sealed class PushWork(string userId, PushRequest request)
{
    private readonly TaskCompletionSource<PushOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A single mutation of a front end (LiveStore, Replicache) whose own protocol makes a retry safe: it runs
    /// outside the client's mutation-id sequence, with the given mutator instance rather than a registered one.</summary>
    public PushWork(string userId, string clientId, IMutator mutator, JsonElement args)
        : this(userId, new PushRequest(clientId, [new Mutation(0, mutator.Name, args)]))
    {
        Direct = mutator;
    }

    public string UserId { get; } = userId;
    public PushRequest Request { get; } = request;
    public IMutator? Direct { get; }
    public Task<PushOutcome> Outcome => _outcome.Task;

    public void Complete(PushOutcome outcome) => _outcome.TrySetResult(outcome);
}

/// <summary>The answer to a push: a result, or an error for the whole request.</summary>
internal sealed record PushOutcome(PushResult? Result, ErrorBody? Error)
{
    public static PushOutcome Of(PushResult result) => new(result, null);
    public static PushOutcome Failed(ErrorBody error) => new(null, error);

    public static readonly PushOutcome Unavailable = Failed(new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; retry later."));
}
