using System.Data.Common;
using Npgsql;
using Tether.Mutators;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A SERIALIZABLE transaction that takes no lock shared by the writers: PostgreSQL lets it commit only if the result
/// is what some order of the concurrent transactions one at a time would have given, so a mutator's read-check-write
/// holds against every other writer of every node (one of two conflicting transactions fails with a serialization
/// failure and is run again, and then sees the other's writes). It writes records, clients and refusals, never the
/// log: its first statement is Tether's marker message in the write-ahead log, from which the sequencer writes the
/// actions, names the mutation behind each, and tells this node the transaction's syncIds
/// (<see cref="CommittedBatch.Sequenced"/>).
/// </summary>
internal sealed class PgWalWriteTransaction : ITetherWriteTransaction, IStoreConnection
{
    private readonly PostgreSqlTetherStore _store;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    // What this transaction read of each record: its groups, or null when it read the record as absent. A record read
    // as absent is inserted without ON CONFLICT, so a concurrent insert of the same id is a conflict, not an
    // overwrite; one read as present whose groups stay keeps its group links as they are (fewer index writes, fewer
    // false conflicts between concurrent transactions).
    private readonly Dictionary<(string Model, string Id), IReadOnlyList<string>?> _read = [];
    private bool _committed;
    private bool _disposed;

    private PgWalWriteTransaction(PostgreSqlTetherStore store, NpgsqlConnection connection, NpgsqlTransaction transaction, long head)
    {
        _store = store;
        _connection = connection;
        _transaction = transaction;
        Head = head;
    }

    public long Head { get; }

    public DbConnection Connection
    {
        get
        {
            EnsureOpen();
            return _connection;
        }
    }

    public DbTransaction? Transaction
    {
        get
        {
            EnsureOpen();
            return _transaction;
        }
    }

    public static async ValueTask<PgWalWriteTransaction> BeginAsync(PostgreSqlTetherStore store, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            long head = await PgReads.BeginAtHeadAsync(connection, transaction, store.Options.LockTimeout, PgSql.ReadHead, cancellationToken).ConfigureAwait(false);
            return new PgWalWriteTransaction(store, connection, transaction, head);
        }
        catch (Exception e) when (PgConflicts.IsConflict(e))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new WriteConflictException("The write transaction lost a conflict with a concurrent writer.", e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        EnsureOpen();
        Record? record = await Conflicts(PgReads.GetRecordAsync(_connection, modelName, id, cancellationToken)).ConfigureAwait(false);
        _read[(modelName, id)] = record?.SyncGroups;
        return record;
    }

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        EnsureOpen();
        IReadOnlyList<Record> records = await Conflicts(PgReads.ListRecordsAsync(_connection, modelName, syncGroup, cancellationToken)).ConfigureAwait(false);
        foreach (Record record in records)
        {
            _read[(modelName, record.Id)] = record.SyncGroups;
        }
        return records;
    }

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return Conflicts(PgReads.GetClientAsync(_connection, clientId, cancellationToken));
    }

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return Conflicts(PgReads.GetRejectionAsync(_connection, clientId, mutationId, cancellationToken));
    }

    public async ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EnsureOpen();
        SequencerState sequencer = _store.Sequencer;
        string key = sequencer.NextKey("batch");
        var statements = new PgStatements();
        statements.Add(PgSql.EmitMarker, ("marker", Marker(key, batch)));
        foreach (ForgottenRejections forgotten in batch.ForgottenRejections)
        {
            statements.Add(PgSql.ForgetRejections, ("client", forgotten.ClientId), ("mutation", forgotten.BeforeMutationId));
        }
        // In the batch's order: the sequencer gives a transaction's actions their syncIds in the order its rows
        // changed, and a client's mutations must reach the log in the order they ran.
        foreach (RecordWrite record in batch.Records)
        {
            AddRecord(statements, record);
        }
        foreach (ClientState client in batch.Clients)
        {
            statements.Add(PgSql.SetLastMutationId, ("client", client.ClientId), ("user", client.UserId), ("last", client.LastMutationId));
        }
        foreach (StoredRejection rejection in batch.Rejections)
        {
            statements.Add(PgSql.AddRejection, ("client", rejection.ClientId), ("mutation", rejection.MutationId), ("code", rejection.Code), ("message", rejection.Message));
        }
        Task<long> sequenced = sequencer.Expect(key);
        try
        {
            await statements.ExecuteAsync(_connection, cancellationToken).ConfigureAwait(false);
            await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            sequencer.Forget(key);
            if (PgConflicts.IsConflict(e))
            {
                throw new WriteConflictException("The write transaction lost a conflict with a concurrent writer.", e);
            }
            throw;
        }
        _committed = true;
        return CommittedBatch.Later(WaitForSequencerAsync(sequencer, key, sequenced));
    }

    private async Task<long> WaitForSequencerAsync(SequencerState sequencer, string key, Task<long> sequenced)
    {
        try
        {
            return await sequenced.WaitAsync(_store.Options.SequencingTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            sequencer.Forget(key);
            throw;
        }
    }

    private void AddRecord(PgStatements statements, RecordWrite record)
    {
        bool known = _read.TryGetValue((record.ModelName, record.Id), out IReadOnlyList<string>? groupsRead);
        if (record.IsDelete)
        {
            if (!known || groupsRead is not null)
            {
                statements.Add(PgSql.DeleteRecord, ("model", record.ModelName), ("id", record.Id));
            }
            return;
        }
        string[] groups = [.. record.SyncGroups];
        if (!known)
        {
            statements.Add(PgSql.PutRecord, ("model", record.ModelName), ("id", record.Id), ("data", record.Data), ("groups", groups));
        }
        else if (groupsRead is null)
        {
            statements.Add(PgSql.InsertRecord, ("model", record.ModelName), ("id", record.Id), ("data", record.Data), ("groups", groups));
        }
        else if (groupsRead.SequenceEqual(record.SyncGroups, StringComparer.Ordinal))
        {
            statements.Add(PgSql.UpdateRecordData, ("model", record.ModelName), ("id", record.Id), ("data", record.Data));
        }
        else
        {
            statements.Add(PgSql.UpdateRecord, ("model", record.ModelName), ("id", record.Id), ("data", record.Data), ("groups", groups));
        }
    }

    /// <summary>Which mutation wrote each record last (the acks of live frames) and whose groups changed.</summary>
    private static byte[] Marker(string key, WriteBatch batch)
    {
        var last = new Dictionary<(string Model, string Id), (string ClientId, long MutationId)>();
        foreach (LogEntry action in batch.Actions)
        {
            if (action.ClientId is { } client && action.MutationId is { } mutation)
            {
                last[(action.ModelName, action.ModelId)] = (client, mutation);
            }
        }
        return MarkerMessage.Format(key,
            last.Select(w => (w.Key.Model, w.Key.Id, w.Value.ClientId, w.Value.MutationId)),
            batch.GroupChanges.Select(c => c.UserId).Distinct(StringComparer.Ordinal));
    }

    private static async ValueTask<T> Conflicts<T>(ValueTask<T> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (Exception e) when (PgConflicts.IsConflict(e))
        {
            throw new WriteConflictException("The write transaction lost a conflict with a concurrent writer.", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException("The write transaction is already committed.");
        }
    }
}
