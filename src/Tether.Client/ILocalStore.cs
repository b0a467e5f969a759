using Tether.Mutators;
namespace Tether.Client;

/// <summary>
/// Where a client keeps its confirmed data, its pending mutations and its sync metadata. Every
/// <see cref="WriteAsync"/> is atomic: a crash leaves the store as it was before the write or after it, never
/// between, so data, lastSyncId and the pending queue never get out of step.
/// </summary>
public interface ILocalStore : IAsyncDisposable
{
    /// <summary>Everything stored, or an empty snapshot for a new store.</summary>
    ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Applies one write atomically.</summary>
    ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken);

    /// <summary>
    /// Starts one atomic write whose records arrive in chunks: a bootstrap streamed from the server. Nothing of it is
    /// visible or durable before <see cref="ILocalBulkWrite.CommitAsync"/>; disposing it uncommitted (a failed or cut
    /// download) leaves the store as it was. No other write runs while it is open. A store without a streaming path
    /// of its own gets one that gathers the chunks and makes one <see cref="WriteAsync"/> of them.
    /// </summary>
    /// <param name="clearRecords">Delete every confirmed record first (an eager bootstrap replaces everything).</param>
    /// <param name="cancellationToken">Cancels starting the write.</param>
    ValueTask<ILocalBulkWrite> BeginBulkWriteAsync(bool clearRecords, CancellationToken cancellationToken)
        => ValueTask.FromResult<ILocalBulkWrite>(new Internal.BufferedBulkWrite(this, clearRecords));
}

/// <summary>An open <see cref="ILocalStore.BeginBulkWriteAsync"/>: chunks of records, then one commit.</summary>
public interface ILocalBulkWrite : IAsyncDisposable
{
    /// <summary>Adds a chunk of record changes, applied in order after the ones added before.</summary>
    ValueTask AddAsync(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="last"/> after the chunks (its <see cref="LocalWrite.ClearRecords"/> must be
    /// false) and commits everything as one write. The bulk write is finished afterwards, committed or not.</summary>
    ValueTask CommitAsync(LocalWrite last, CancellationToken cancellationToken);
}

/// <summary>The sync metadata of a local store.</summary>
public sealed record LocalMetadata
{
    /// <summary>This client's id (one per device or browser profile), chosen once and kept.</summary>
    public string? ClientId { get; init; }

    /// <summary>The user the data belongs to; data of another user is never reused.</summary>
    public string? UserId { get; init; }

    /// <summary>The app schema version the data was bootstrapped with.</summary>
    public int? SchemaVersion { get; init; }

    /// <summary>The eager bootstrap's position, 0 when the store was never bootstrapped.</summary>
    public long FirstSyncId { get; init; }

    /// <summary>The position the confirmed data reflects.</summary>
    public long LastSyncId { get; init; }

    /// <summary>The sync groups whose data the store holds.</summary>
    public IReadOnlyList<string> SyncGroups { get; init; } = [];

    /// <summary>The id the next mutation gets (ids are never reused, also across restarts).</summary>
    public long NextMutationId { get; init; } = 1;

    /// <summary>True once an eager bootstrap completed.</summary>
    public bool IsBootstrapped => FirstSyncId > 0 || LastSyncId > 0 || SyncGroups.Count > 0;
}


/// <summary>A mutation waiting for the server: its id, mutator name and JSON arguments.</summary>
/// <param name="Id">The mutation's id (from <see cref="LocalMetadata.NextMutationId"/>); never reused.</param>
/// <param name="Name">The mutator's name.</param>
/// <param name="Args">The mutator's arguments as JSON text.</param>
public sealed record PendingMutation(long Id, string Name, string Args);

/// <summary>What <see cref="ILocalStore.LoadAsync"/> returns.</summary>
/// <param name="Metadata">The stored metadata; a new <see cref="LocalMetadata"/> for an empty store.</param>
/// <param name="Records">Every confirmed record, in no particular order.</param>
/// <param name="Pending">The pending mutations in ascending id order.</param>
public sealed record LocalSnapshot(LocalMetadata Metadata, IReadOnlyList<StoredRecord> Records, IReadOnlyList<PendingMutation> Pending);

/// <summary>A change of one confirmed record: the full JSON text, or null to delete it.</summary>
/// <param name="ModelName">The record's model.</param>
/// <param name="Id">The record's id within its model.</param>
/// <param name="Data">The record's full JSON object as text, replacing what is stored; null to delete the record.</param>
public sealed record LocalRecordChange(string ModelName, string Id, string? Data);

/// <summary>One atomic write to a local store. Applied in this order: clear records (if asked), record changes,
/// pending additions and removals, then metadata.</summary>
public sealed record LocalWrite
{
    /// <summary>Delete every confirmed record first (an eager bootstrap replaces everything).</summary>
    public bool ClearRecords { get; init; }

    /// <summary>Confirmed records to put or delete, applied in order (a later change of the same record wins).</summary>
    public IReadOnlyList<LocalRecordChange> Records { get; init; } = [];

    /// <summary>Mutations to add to the pending queue; an id already stored is an error that fails the whole write.</summary>
    public IReadOnlyList<PendingMutation> AddPending { get; init; } = [];

    /// <summary>Ids of pending mutations to remove (confirmed or refused); an id not stored is ignored.</summary>
    public IReadOnlyList<long> RemovePending { get; init; } = [];

    /// <summary>The metadata after the write, or null to keep it.</summary>
    public LocalMetadata? Metadata { get; init; }
}
