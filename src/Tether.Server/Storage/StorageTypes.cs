namespace Tether.Server.Storage;

/// <summary>A sync action as stored in the log. <see cref="Data"/> is the full record's JSON text (null for delete).</summary>
public sealed record LogEntry(
    long SyncId,
    string Action,
    string ModelName,
    string ModelId,
    string? Data,
    IReadOnlyList<string> SyncGroups,
    string? ClientId,
    long? MutationId);

/// <summary>A sync action about to be appended; the store assigns its syncId.</summary>
public sealed record NewSyncAction(
    string Action,
    string ModelName,
    string ModelId,
    string? Data,
    IReadOnlyCollection<string> SyncGroups,
    string ClientId,
    long MutationId);

/// <summary>A record as read for bootstrap: its JSON text, not parsed.</summary>
public sealed record StoredRecord(string ModelName, string Id, string Data);

/// <summary>The groups of <see cref="UserId"/> change at <see cref="SyncId"/> (before that action is delivered).</summary>
public sealed record GroupChange(long SyncId, string UserId);

/// <summary>A client (one device or tab) of a user and the last mutation id the server handled for it.</summary>
public sealed record ClientState(string ClientId, string UserId, long LastMutationId);

/// <summary>The error a refused mutation was answered with.</summary>
public sealed record StoredRejection(string Code, string Message);
