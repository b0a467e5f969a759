namespace Tether.Server.Storage;

/// <summary>A sync action in the log. <see cref="Data"/> is the full record's JSON text (null for delete).</summary>
public sealed record LogEntry(
    long SyncId,
    string Action,
    string ModelName,
    string ModelId,
    string? Data,
    IReadOnlyList<string> SyncGroups,
    string? ClientId,
    long? MutationId);


/// <summary>A record's new state in a <see cref="WriteBatch"/>: its full JSON text and sync groups, or deleted
/// (<see cref="Data"/> null, no groups).</summary>
public sealed record RecordWrite(string ModelName, string Id, string? Data, IReadOnlyList<string> SyncGroups)
{
    /// <summary>The record is deleted, with its links to its groups.</summary>
    public bool IsDelete => Data is null;
}

/// <summary>The groups of <see cref="UserId"/> change at <see cref="SyncId"/> (before that action is delivered).</summary>
public sealed record GroupChange(long SyncId, string UserId);

/// <summary>A client (one device or tab) of a user and the last mutation id the server handled for it.</summary>
public sealed record ClientState(string ClientId, string UserId, long LastMutationId);

/// <summary>The error a refused mutation was answered with, kept so that a retry of its id is answered the same.</summary>
public sealed record StoredRejection(string ClientId, long MutationId, string Code, string Message);

/// <summary>The refusals of <see cref="ClientId"/>'s mutation ids below <see cref="BeforeMutationId"/> are no
/// longer kept: the client showed it has their answers.</summary>
public sealed record ForgottenRejections(string ClientId, long BeforeMutationId);
