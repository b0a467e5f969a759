using System.Collections.Frozen;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// The built-in store's write transaction, with the mapped models' records in the app's tables: reads of them are
/// queries, and the commit writes their rows through a Tether-owned context (one <c>SaveChanges</c>) in the same
/// transaction, right before the built-in store writes the rest of the batch and commits. On PostgreSQL the transaction
/// is SERIALIZABLE and runs beside other writers: losing to one of them, in a read or in the commit, is a
/// <see cref="WriteConflictException"/>, as it is for the built-in store's own statements.
/// </summary>
internal sealed class EfWriteTransaction<TDb>(ITetherWriteTransaction inner, SyncMapping<TDb> mapping, TetherContexts<TDb> contexts)
    : ITetherWriteTransaction, IStoreConnection where TDb : DbContext
{
    private readonly IStoreConnection _connection = inner as IStoreConnection
        ?? throw new InvalidOperationException("The built-in store's write transaction does not expose its connection.");
    /// <summary>The ids of mapped records this transaction read as absent: staging their inserts needs no lookup (a
    /// concurrent writer that inserts one meanwhile makes the commit a conflict).</summary>
    private readonly Dictionary<MappedModel, HashSet<string>> _absent = [];
    private TDb? _db;

    public long Head => inner.Head;

    public DbConnection Connection => _connection.Connection;

    public DbTransaction? Transaction => _connection.Transaction;

    /// <summary>The Tether-owned context on this transaction, made at its first use.</summary>
    private TDb Db => _db ??= contexts.Open(_connection.Connection, _connection.Transaction);

    public async ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        if (mapping.Find(modelName) is not { } model)
        {
            return await inner.GetRecordAsync(modelName, id, cancellationToken).ConfigureAwait(false);
        }
        Record? record = await Conflicts(model.GetAsync(Db, id, cancellationToken)).ConfigureAwait(false);
        if (record is null)
        {
            if (!_absent.TryGetValue(model, out HashSet<string>? ids))
            {
                _absent[model] = ids = new HashSet<string>(StringComparer.Ordinal);
            }
            ids.Add(id);
        }
        return record;
    }

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
        => mapping.Find(modelName) is { } model
            ? await Conflicts(model.ListAsync(Db, syncGroup, cancellationToken)).ConfigureAwait(false)
            : await inner.ListRecordsAsync(modelName, syncGroup, cancellationToken).ConfigureAwait(false);

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken) => inner.GetClientAsync(clientId, cancellationToken);

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
        => inner.GetRejectionAsync(clientId, mutationId, cancellationToken);

    public async ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckContinues(Head);
        var own = new List<RecordWrite>(batch.Records.Count);
        Dictionary<MappedModel, List<RecordWrite>>? mapped = null;
        foreach (RecordWrite record in batch.Records)
        {
            if (mapping.Find(record.ModelName) is { } model)
            {
                mapped ??= [];
                if (!mapped.TryGetValue(model, out List<RecordWrite>? records))
                {
                    mapped[model] = records = [];
                }
                records.Add(record);
            }
            else
            {
                own.Add(record);
            }
        }
        if (mapped is not null)
        {
            TDb db = Db;
            foreach ((MappedModel model, List<RecordWrite> records) in mapped)
            {
                IReadOnlySet<string> absent = (IReadOnlySet<string>?)_absent.GetValueOrDefault(model) ?? FrozenSet<string>.Empty;
                await Conflicts(model.StageAsync(db, records, absent, cancellationToken)).ConfigureAwait(false);
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateException e) when (DatabaseConflicts.IsConflict(e)
                || DatabaseConflicts.IsTakenKey(e, mapped.Keys.Select(model => db.Model.FindEntityType(model.EntityType)!)))
            {
                throw new WriteConflictException(e);
            }
            catch (DbUpdateException e) when (DatabaseRefusals.IsRefusal(e))
            {
                (string modelName, string id) = Refused(e, mapped);
                throw new RecordRefusedException(modelName, id, e);
            }
            batch = new WriteBatch
            {
                Records = own,
                Actions = batch.Actions,
                GroupChanges = batch.GroupChanges,
                Clients = batch.Clients,
                ForgottenRejections = batch.ForgottenRejections,
                Rejections = batch.Rejections,
            };
        }
        return await inner.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_db is not null)
        {
            contexts.Return(_db);
            _db = null;
        }
        await inner.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<T> Conflicts<T>(Task<T> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (Exception e) when (DatabaseConflicts.IsConflict(e))
        {
            throw new WriteConflictException(e);
        }
    }

    private static async Task Conflicts(Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e) when (DatabaseConflicts.IsConflict(e))
        {
            throw new WriteConflictException(e);
        }
    }

    /// <summary>The record the database refused: the first row EF Core names, else the batch's first mapped one.</summary>
    private (string ModelName, string Id) Refused(DbUpdateException exception, Dictionary<MappedModel, List<RecordWrite>> mapped)
    {
        foreach (EntityEntry entry in exception.Entries)
        {
            if (mapping.ForEntity(entry.Metadata.ClrType) is { } model)
            {
                return (model.Name, model.IdOf(entry.Entity));
            }
        }
        RecordWrite first = mapped.Values.First()[0];
        return (first.ModelName, first.Id);
    }
}
