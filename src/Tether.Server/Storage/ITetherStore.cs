namespace Tether.Server.Storage;

/// <summary>
/// Where the server keeps records, the sync-action log, the action-to-group links, the clients' lastMutationIds and
/// the refusals. A store does only what needs the database: it writes a whole batch atomically, opens snapshots and
/// reads the log. The server's pipeline does the rest (running mutations, assigning syncIds, undoing a refused
/// mutation's writes). A store guarantees that syncId order equals commit order: a reader never sees a hole close
/// behind it. <c>Tether.Server.Specification</c> holds the tests every store must pass.
/// </summary>
public interface ITetherStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the store's own schema. Called once at startup; a schema newer than the store
    /// knows is refused.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>How many write transactions the server's mutation pipeline may hold open at once in one process
    /// (1 unless the store says otherwise). A store that takes more than one orders their commits itself, and may
    /// give their actions syncIds only after they commit (<see cref="CommittedBatch.SequencedLater"/>).</summary>
    int Writers => 1;

    /// <summary>Opens a write transaction. The server's mutation pipeline is the only caller and holds at most
    /// <see cref="Writers"/> at a time per process. When <see cref="Writers"/> is 1, from here to its commit or
    /// disposal no other writer may commit (on a store shared by several processes, the transaction takes the lock
    /// that orders them all), so <see cref="ITetherWriteTransaction.Head"/> stays the head the batch continues.</summary>
    ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>Opens a read-only snapshot: everything read through it reflects one committed state, and its records
    /// are exactly the log up to its <see cref="ITetherReadSnapshot.Head"/> (what a bootstrap needs).</summary>
    ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken);

    /// <summary>Opens a read-only snapshot for readers of the log: its log is consistent up to its
    /// <see cref="ITetherReadSnapshot.Head"/>, but its records may be newer than that head. Cheaper than
    /// <see cref="BeginReadAsync"/> on a store whose log follows its commits; the same by default.</summary>
    ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken) => BeginReadAsync(cancellationToken);

    /// <summary>Deletes the sync actions and group changes with syncId &lt;= <paramref name="upToSyncId"/> (records
    /// stay) and raises the retained horizon to it (never lowers it); clients below it must bootstrap again
    /// (<c>resync_required</c>). A value above the head throws <see cref="ArgumentOutOfRangeException"/>.</summary>
    Task CompactAsync(long upToSyncId, CancellationToken cancellationToken);

    /// <summary>The last syncId of a commit made at or before <paramref name="time"/>, by the commit times the store
    /// keeps; 0 when no kept commit is that old, or the store keeps no times (retention by age then removes
    /// nothing).</summary>
    ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken) => ValueTask.FromResult(0L);

    /// <summary>Whether this node runs the periodic maintenance of the store (the retention policy): every node of a
    /// store that one node owns; one node at a time of a store that several share.</summary>
    bool RunsMaintenance => true;
}
