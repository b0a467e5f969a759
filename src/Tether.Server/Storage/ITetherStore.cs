namespace Tether.Server.Storage;

/// <summary>
/// Where the server keeps records, the sync-action log, the action-to-group links and the clients' lastMutationIds.
/// A provider guarantees that syncId order equals commit order: a reader never sees a hole close behind it.
/// </summary>
public interface ITetherStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the store's own schema. Called once at startup.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Opens the write transaction. The server's mutation pipeline is the only caller and holds at most
    /// one at a time per process; it runs many mutations in it (a savepoint each) and commits once.</summary>
    ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken);

    /// <summary>Opens a read-only snapshot: everything read through it reflects one committed state.</summary>
    ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the sync actions with syncId &lt;= <paramref name="upToSyncId"/> (records stay) and raises
    /// the retained horizon to it; clients below it must bootstrap again (<c>resync_required</c>).</summary>
    Task CompactAsync(long upToSyncId, CancellationToken cancellationToken);
}
