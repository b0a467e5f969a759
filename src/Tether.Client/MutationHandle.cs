namespace Tether.Client;

/// <summary>A mutation the client accepted: applied to the local view and queued for the server.</summary>
public sealed class MutationHandle
{
    private readonly TaskCompletionSource<long> _confirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal MutationHandle(long id) => Id = id;

    /// <summary>The mutation's id (per client, never reused).</summary>
    public long Id { get; }

    /// <summary>Completes with the syncId up to which the server applied it, once the local confirmed data includes
    /// it; faults with <see cref="Tether.Mutators.MutationRejectedException"/> when the server refused it. Survives
    /// nothing: after a restart the mutation is still sent, but this task belonged to the previous process.</summary>
    public Task<long> Confirmed => _confirmed.Task;

    internal void Confirm(long syncId) => _confirmed.TrySetResult(syncId);

    internal void Reject(Exception error) => _confirmed.TrySetException(error);
}

/// <summary>Raised when the server refused a mutation; it is gone from the view.</summary>
public sealed class MutationRejectedEventArgs(long mutationId, string name, string code, string message) : EventArgs
{
    /// <summary>The refused mutation's id (<see cref="MutationHandle.Id"/>).</summary>
    public long MutationId { get; } = mutationId;

    /// <summary>The refused mutation's mutator name.</summary>
    public string Name { get; } = name;

    /// <summary>Why the server refused it: one of <see cref="Tether.Protocol.ErrorCodes"/>.</summary>
    public string Code { get; } = code;

    /// <summary>The server's explanation, for a developer rather than an end user.</summary>
    public string Message { get; } = message;
}
