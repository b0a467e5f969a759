using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Tether.Mutators;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// The built-in store's read snapshot, with the mapped models' records read from the app's tables in the same
/// snapshot (the same connection and transaction), so that they are consistent with <see cref="Head"/>.
/// </summary>
internal sealed class EfReadSnapshot<TDb>(ITetherReadSnapshot inner, SyncMapping<TDb> mapping, TetherContexts<TDb> contexts)
    : ITetherReadSnapshot, IStoreConnection where TDb : DbContext
{
    private readonly IStoreConnection _connection = inner as IStoreConnection
        ?? throw new InvalidOperationException("The built-in store's read snapshot does not expose its connection.");
    private TDb? _db;

    public long Head => inner.Head;

    public long Horizon => inner.Horizon;

    public DbConnection Connection => _connection.Connection;

    public DbTransaction? Transaction => _connection.Transaction;

    private TDb Db => _db ??= contexts.Open(_connection.Connection, _connection.Transaction);

    public async ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
        => mapping.Find(modelName) is { } model
            ? await model.GetAsync(Db, id, cancellationToken).ConfigureAwait(false)
            : await inner.GetRecordAsync(modelName, id, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
        => mapping.Find(modelName) is { } model
            ? await model.ListAsync(Db, syncGroup, cancellationToken).ConfigureAwait(false)
            : await inner.ListRecordsAsync(modelName, syncGroup, cancellationToken).ConfigureAwait(false);

    /// <summary>The models in byte order of their names, each run of models Tether keeps as JSON read by one cursor
    /// of the built-in store, each mapped model by one query of its table.</summary>
    public IStoredRecordCursor ReadRecords(IReadOnlyCollection<string> modelNames, IReadOnlyCollection<string> syncGroups)
    {
        string[] names = [.. modelNames.Distinct(StringComparer.Ordinal)];
        Array.Sort(names, Utf8Order.Compare);
        var parts = new List<Func<IStoredRecordCursor>>();
        var run = new List<string>();
        foreach (string name in names)
        {
            if (mapping.Find(name) is { } model)
            {
                AddRun();
                parts.Add(() => model.ReadRecords(Db, syncGroups));
            }
            else
            {
                run.Add(name);
            }
        }
        AddRun();
        return parts.Count == 1 ? parts[0]() : new SequenceCursor(parts);

        void AddRun()
        {
            if (run.Count > 0)
            {
                string[] models = [.. run];
                parts.Add(() => inner.ReadRecords(models, syncGroups));
                run.Clear();
            }
        }
    }

    public IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(string modelName, string syncGroup, string afterId, CancellationToken cancellationToken)
        => mapping.Find(modelName) is { } model
            ? model.ReadRecordsAfterAsync(Db, syncGroup, afterId, cancellationToken)
            : inner.ReadRecordsAfterAsync(modelName, syncGroup, afterId, cancellationToken);

    public ValueTask<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSyncId, long upToSyncId, int limit, CancellationToken cancellationToken)
        => inner.ReadLogAsync(afterSyncId, upToSyncId, limit, cancellationToken);

    public ValueTask<IReadOnlyList<LogEntry>> ReadVisibleLogAsync(long afterSyncId, long upToSyncId, IReadOnlyCollection<string> syncGroups, int limit, CancellationToken cancellationToken)
        => inner.ReadVisibleLogAsync(afterSyncId, upToSyncId, syncGroups, limit, cancellationToken);

    public ValueTask<IReadOnlyList<GroupChange>> ReadGroupChangesAsync(long afterSyncId, long upToSyncId, CancellationToken cancellationToken)
        => inner.ReadGroupChangesAsync(afterSyncId, upToSyncId, cancellationToken);

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken) => inner.GetClientAsync(clientId, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            contexts.Return(_db);
            _db = null;
        }
        await inner.DisposeAsync().ConfigureAwait(false);
    }
}
