using System.Text.Json;

namespace Tether.Protocol;

/// <summary>A client's request to change data: a named mutator with its arguments and a per-client id.</summary>
public sealed record Mutation(long Id, string Name, JsonElement Args);

/// <summary>Body of <c>POST /sync/push</c>.</summary>
public sealed record PushRequest(string ClientId, IReadOnlyList<Mutation> Mutations);

/// <summary>Answer to a push: one result per mutation and the client's lastMutationId after it.</summary>
public sealed record PushResult(IReadOnlyList<MutationResult> Results, long LastMutationId);

/// <summary>The outcome of one mutation.</summary>
public sealed record MutationResult(long Id, string Status, long? LastSyncId = null, ErrorBody? Error = null)
{
    public static MutationResult Applied(long id, long lastSyncId) => new(id, MutationStatus.Applied, lastSyncId);
    public static MutationResult Rejected(long id, ErrorBody error) => new(id, MutationStatus.Rejected, null, error);
    /// <summary>Already handled; <paramref name="lastSyncId"/> (the head when answering) bounds the syncIds the
    /// mutation created, so a client that lost the first answer knows how far its data must get before the mutation
    /// may leave its pending queue.</summary>
    public static MutationResult Duplicate(long id, long? lastSyncId = null) => new(id, MutationStatus.Duplicate, lastSyncId);
}

/// <summary>The values of <see cref="MutationResult.Status"/>.</summary>
public static class MutationStatus
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Duplicate = "duplicate";
}
