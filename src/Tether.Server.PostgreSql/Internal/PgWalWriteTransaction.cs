using System.Data.Common;
using Npgsql;
using Tether.Mutators;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A write transaction that takes no lock shared by all writers. Its mutators read at READ COMMITTED, and each read
/// is kept with the version it saw (<see cref="PgReadSet"/>); at commit it locks what it read and what it writes
/// (<see cref="PgKeyLocks"/>) and checks that all it read is still so, or fails as a conflict and is run again: a
/// mutator's read-check-write holds against every writer of every node, and writers that touch different keys never
/// fail each other. A store with synced app tables runs SERIALIZABLE instead, since the app's own reads of its
/// tables, through Entity Framework, are not in the read set. It writes records, clients and refusals, never the
/// log: its first change is Tether's marker message in the write-ahead log, from which the sequencer writes the
/// actions, names the mutation behind each, and tells this node the transaction's syncIds
/// (<see cref="CommittedBatch.Sequenced"/>).
/// </summary>
internal sealed class PgWalWriteTransaction : ITetherWriteTransaction, IStoreConnection
{
    private readonly PostgreSqlTetherStore _store;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly PgReadSet _reads = new();
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
            System.Data.IsolationLevel isolation = store.Options.SyncedTables.Count > 0
                ? System.Data.IsolationLevel.Serializable
                : System.Data.IsolationLevel.ReadCommitted;
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(isolation, cancellationToken).ConfigureAwait(false);
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
        (Record? record, string? version) = await Conflicts(PgReads.GetRecordVersionAsync(_connection, modelName, id, cancellationToken)).ConfigureAwait(false);
        _reads.ReadRecord(modelName, id, version);
        return record;
    }

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        EnsureOpen();
        IReadOnlyList<(Record Record, string Version)> members = await Conflicts(PgReads.ListRecordVersionsAsync(_connection, modelName, syncGroup, cancellationToken)).ConfigureAwait(false);
        _reads.Listed(modelName, syncGroup, members.Select(m => (m.Record.Id, m.Version)));
        return [.. members.Select(m => m.Record)];
    }

    public async ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        ClientState? client = await Conflicts(PgReads.GetClientAsync(_connection, clientId, cancellationToken)).ConfigureAwait(false);
        _reads.ReadClient(client, clientId);
        return client;
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
        Task<long> sequenced = sequencer.Expect(key);
        try
        {
            var commit = new PgCommitCheck(_reads, batch);
            await commit.LockAndCheckAsync(_connection, cancellationToken).ConfigureAwait(false);
            var statements = new PgStatements();
            foreach (NpgsqlBatchCommand command in commit.GroupCommands())
            {
                statements.Add(command);
            }
            statements.Add(PgSql.EmitMarker, ("marker", Marker(key, batch)));
            foreach (ForgottenRejections forgotten in batch.ForgottenRejections)
            {
                statements.Add(PgSql.ForgetRejections, ("client", forgotten.ClientId), ("mutation", forgotten.BeforeMutationId));
            }
            PgRecordStatements.Add(statements, batch.Records, commit.GroupsNow);
            if (batch.Clients.Count > 0)
            {
                statements.Add(PgSql.SetLastMutationIds,
                    ("clients", batch.Clients.Select(c => c.ClientId).ToArray()),
                    ("users", batch.Clients.Select(c => c.UserId).ToArray()),
                    ("lasts", batch.Clients.Select(c => c.LastMutationId).ToArray()));
            }
            foreach (StoredRejection rejection in batch.Rejections)
            {
                statements.Add(PgSql.AddRejection, ("client", rejection.ClientId), ("mutation", rejection.MutationId), ("code", rejection.Code), ("message", rejection.Message));
            }
            await statements.ExecuteAsync(_connection, commit.CheckListsAsync, cancellationToken).ConfigureAwait(false);
            commit.ThrowIfListsChanged();
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
