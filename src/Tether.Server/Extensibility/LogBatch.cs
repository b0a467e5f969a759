using System.Diagnostics;
using Tether.Server.Storage;

namespace Tether.Server.Extensibility;

/// <summary>A committed sync action as the fan-out hands it to every connection that may read it: serialised once, in
/// the protocol's JSON (see docs/protocol.md, "sync action").</summary>
/// <param name="SyncId">Its place in the log.</param>
/// <param name="Json">The sync action's UTF-8 JSON; shared by every reader, never to be modified.</param>
/// <param name="SyncGroups">The sync groups whose members may read it.</param>
/// <param name="ClientId">The client whose mutation wrote it, if any.</param>
/// <param name="MutationId">That mutation's id (0 for a front end's own write), if any.</param>
public sealed record LogBatchEntry(long SyncId, byte[] Json, IReadOnlyList<string> SyncGroups, string? ClientId, long? MutationId);

/// <summary>Everything committed in (<see cref="AfterSyncId"/>, <see cref="LastSyncId"/>]: the sync actions and the
/// users whose sync groups changed there. Batches of one feed follow each other without gaps.</summary>
/// <param name="AfterSyncId">The position the batch starts after.</param>
/// <param name="LastSyncId">The position the batch ends at.</param>
/// <param name="Entries">The sync actions, in syncId order.</param>
/// <param name="GroupChanges">The users whose sync groups changed in the batch, and where.</param>
public sealed record LogBatch(long AfterSyncId, long LastSyncId, IReadOnlyList<LogBatchEntry> Entries, IReadOnlyList<GroupChange> GroupChanges)
{
    /// <summary>The fan-out span this batch was published under (none when nobody traces it): a front end's
    /// deliveries of it are its children.</summary>
    public ActivityContext Trace { get; init; }
}
