using Tether.Mutators;
namespace Tether.Server.Storage;

/// <summary>A read-only view of one committed state of the store.</summary>
public interface ITetherReadSnapshot : IRecordReader, IAsyncDisposable
{
    /// <summary>The greatest committed syncId in this snapshot (0 when the log is empty). The log is read up to it;
    /// the records read through a snapshot of <see cref="ITetherStore.BeginReadAsync"/> are exactly the log up to it,
    /// those of <see cref="ITetherStore.BeginLogReadAsync"/> may be newer.</summary>
    long Head { get; }

    /// <summary>Actions with syncId &lt;= Horizon are no longer kept (0: the whole log is kept).</summary>
    long Horizon { get; }

    /// <summary>The records of <paramref name="modelNames"/> that belong to any of <paramref name="syncGroups"/>,
    /// each once, ordered by model name then id (in the byte order of their UTF-8 text; a model kept in an app's
    /// table whose key is a number comes in the number's order). Nothing is read until the cursor's first
    /// <see cref="IStoredRecordCursor.ReadAsync"/>; the caller disposes the cursor before the snapshot.</summary>
    IStoredRecordCursor ReadRecords(IReadOnlyCollection<string> modelNames, IReadOnlyCollection<string> syncGroups);

    /// <summary>The records of <paramref name="modelName"/> in <paramref name="syncGroup"/> whose id sorts after
    /// <paramref name="afterId"/>, ascending by id (in the byte order of the ids' UTF-8 text, or the number's order as
    /// for <see cref="ReadRecords"/>): a keyset cursor over ids that encode an order, read as far as the caller
    /// enumerates.</summary>
    IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(string modelName, string syncGroup, string afterId, CancellationToken cancellationToken);

    /// <summary>Sync actions with <paramref name="afterSyncId"/> &lt; syncId &lt;= <paramref name="upToSyncId"/>,
    /// ascending, at most <paramref name="limit"/>, unfiltered, each with its groups.</summary>
    ValueTask<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSyncId, long upToSyncId, int limit, CancellationToken cancellationToken);

    /// <summary>Like <see cref="ReadLogAsync"/> but only the actions in at least one of <paramref name="syncGroups"/>.</summary>
    ValueTask<IReadOnlyList<LogEntry>> ReadVisibleLogAsync(long afterSyncId, long upToSyncId, IReadOnlyCollection<string> syncGroups, int limit, CancellationToken cancellationToken);

    /// <summary>The group changes recorded at syncIds in (<paramref name="afterSyncId"/>, <paramref name="upToSyncId"/>], ascending.</summary>
    ValueTask<IReadOnlyList<GroupChange>> ReadGroupChangesAsync(long afterSyncId, long upToSyncId, CancellationToken cancellationToken);

    /// <summary>A client's owner and last mutation id, or null for a client the server never saw.</summary>
    ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken);
}
