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
    public static MutationResult Duplicate(long id) => new(id, MutationStatus.Duplicate);
}

/// <summary>The values of <see cref="MutationResult.Status"/>.</summary>
public static class MutationStatus
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Duplicate = "duplicate";
}
