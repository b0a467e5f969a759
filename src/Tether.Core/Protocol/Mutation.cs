using System.Text.Json;

namespace Tether.Protocol;

/// <summary>A client's request to change data: a named mutator with its arguments and a per-client id.</summary>
/// <param name="Id">The mutation's id: per client, starting at 1, consecutive, never reused.</param>
/// <param name="Name">The mutator to run (<see cref="Mutators.IMutator.Name"/>).</param>
/// <param name="Args">The mutator's arguments, as the client sent them.</param>
public sealed record Mutation(long Id, string Name, JsonElement Args);

/// <summary>Body of <c>POST /sync/push</c>.</summary>
/// <param name="ClientId">The pushing client (1 to 128 printable characters, no <c>:</c>); it belongs to the user who
/// first pushed with it.</param>
/// <param name="Mutations">Mutations with consecutive ascending ids, run in order.</param>
public sealed record PushRequest(string ClientId, IReadOnlyList<Mutation> Mutations);

/// <summary>Answer to a push: one result per mutation and the client's lastMutationId after it.</summary>
/// <param name="Results">One result per mutation of the push, in its order.</param>
/// <param name="LastMutationId">The highest mutation id the server has handled for the client; the next push starts
/// after it.</param>
public sealed record PushResult(IReadOnlyList<MutationResult> Results, long LastMutationId);

/// <summary>The outcome of one mutation.</summary>
/// <param name="Id">The mutation's id.</param>
/// <param name="Status">One of <see cref="MutationStatus"/>.</param>
/// <param name="LastSyncId">For applied: the greatest syncId the mutation created (the head if it created none); for
/// duplicate: the head when answering; null for rejected.</param>
/// <param name="Error">For rejected: why; null otherwise.</param>
public sealed record MutationResult(long Id, string Status, long? LastSyncId = null, ErrorBody? Error = null)
{
    /// <summary>Committed; its actions are at or below <paramref name="lastSyncId"/>.</summary>
    public static MutationResult Applied(long id, long lastSyncId) => new(id, MutationStatus.Applied, lastSyncId);

    /// <summary>Refused with <paramref name="error"/>; nothing of it was written, but its id is consumed.</summary>
    public static MutationResult Rejected(long id, ErrorBody error) => new(id, MutationStatus.Rejected, null, error);

    /// <summary>Already handled; <paramref name="lastSyncId"/> (the head when answering) bounds the syncIds the
    /// mutation created, so a client that lost the first answer knows how far its data must get before the mutation
    /// may leave its pending queue.</summary>
    public static MutationResult Duplicate(long id, long? lastSyncId = null) => new(id, MutationStatus.Duplicate, lastSyncId);
}

/// <summary>The values of <see cref="MutationResult.Status"/>.</summary>
public static class MutationStatus
{
    /// <summary>The mutation was committed.</summary>
    public const string Applied = "applied";

    /// <summary>The mutation was refused (see <see cref="MutationResult.Error"/>); nothing of it was written.</summary>
    public const string Rejected = "rejected";

    /// <summary>The id was handled before (a retry): nothing was done this time.</summary>
    public const string Duplicate = "duplicate";
}
