using Tether.Server.Storage;

namespace Tether.Server.Internal.Fanout;

/// <summary>A sync action serialised once, shared by every connection that may read it.</summary>
internal sealed record FanoutEntry(long SyncId, byte[] Json, IReadOnlyList<string> SyncGroups, string? ClientId, long? MutationId);

/// <summary>Everything committed in (<see cref="AfterSyncId"/>, <see cref="LastSyncId"/>]: actions and group changes.</summary>
internal sealed record FanoutBatch(long AfterSyncId, long LastSyncId, IReadOnlyList<FanoutEntry> Entries, IReadOnlyList<GroupChange> GroupChanges);
