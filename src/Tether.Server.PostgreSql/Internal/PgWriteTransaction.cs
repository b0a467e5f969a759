using System.Data.Common;
using Npgsql;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A READ COMMITTED transaction that first locks the <c>tether_head</c> row. Every writer of every node takes that
/// lock before anything else and keeps it until it commits, so the writers run one at a time: each sees all that
/// committed before it (mutators on two nodes cannot lose each other's updates), and its batch's syncIds continue the
/// head it locked (checked at commit). A later writer can only start after this one committed, so syncId order is
/// commit order, and a reader never sees a hole that closes behind it (the late-commit bug of timestamp or sequence
/// ids). The whole batch goes out in one round trip with the commit.
/// </summary>
internal sealed class PgWriteTransaction : ITetherWriteTransaction, IStoreConnection
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private bool _committed;
    private bool _disposed;

    private PgWriteTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, long head)
    {
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

    public static async ValueTask<PgWriteTransaction> BeginAsync(NpgsqlDataSource dataSource, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            long head = await LockHeadAsync(connection, transaction, lockTimeout, cancellationToken).ConfigureAwait(false);
            return new PgWriteTransaction(connection, transaction, head);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>In <paramref name="transaction"/>, takes the head lock that orders every writer of every node (waiting
    /// at most <paramref name="lockTimeout"/>) and returns the head it holds; the transaction's BEGIN, if not sent yet,
    /// goes in the same round trip.</summary>
    public static async ValueTask<long> LockHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        string timeout = ((long)lockTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var begin = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {timeout}"), new NpgsqlBatchCommand(PgSql.LockHead) },
        };
        await using NpgsqlDataReader reader = await begin.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("tether_head has no row: the store's schema is damaged.");
        }
        return reader.GetInt64(0);
    }

    /// <summary>Adds the batch's actions with their groups, its group changes and the move of the head past them
    /// (with the NOTIFY that wakes every node) to <paramref name="statements"/>.</summary>
    public static void AddLog(PgStatements statements, WriteBatch batch, long head)
    {
        foreach (LogEntry action in batch.Actions)
        {
            statements.Add(PgSql.AppendAction,
                ("syncId", action.SyncId), ("action", action.Action), ("model", action.ModelName), ("modelId", action.ModelId), ("data", action.Data),
                ("client", action.ClientId), ("mutation", action.MutationId), ("groups", action.SyncGroups.ToArray()));
        }
        foreach (GroupChange change in batch.GroupChanges)
        {
            statements.Add(PgSql.AddGroupChange, ("syncId", change.SyncId), ("user", change.UserId));
        }
        if (batch.Actions.Count > 0)
        {
            statements.Add(PgSql.SetHead, ("head", batch.HeadAfter(head)));
        }
    }

    public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetRecordAsync(_connection, modelName, id, cancellationToken);
    }

    public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.ListRecordsAsync(_connection, modelName, syncGroup, cancellationToken);
    }

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetClientAsync(_connection, clientId, cancellationToken);
    }

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetRejectionAsync(_connection, clientId, mutationId, cancellationToken);
    }

    public async ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        EnsureOpen();
        batch.CheckContinues(Head);
        var statements = new PgStatements();
        foreach (ForgottenRejections forgotten in batch.ForgottenRejections)
        {
            statements.Add(PgSql.ForgetRejections, ("client", forgotten.ClientId), ("mutation", forgotten.BeforeMutationId));
        }
        foreach (RecordWrite record in batch.Records)
        {
            if (record.IsDelete)
            {
                statements.Add(PgSql.DeleteRecord, ("model", record.ModelName), ("id", record.Id));
            }
            else
            {
                statements.Add(PgSql.PutRecord, ("model", record.ModelName), ("id", record.Id), ("data", record.Data), ("groups", record.SyncGroups.ToArray()));
            }
        }
        foreach (ClientState client in batch.Clients)
        {
            statements.Add(PgSql.SetLastMutationId, ("client", client.ClientId), ("user", client.UserId), ("last", client.LastMutationId));
        }
        foreach (StoredRejection rejection in batch.Rejections)
        {
            statements.Add(PgSql.AddRejection, ("client", rejection.ClientId), ("mutation", rejection.MutationId), ("code", rejection.Code), ("message", rejection.Message));
        }
        AddLog(statements, batch, Head);
        await statements.ExecuteAsync(_connection, cancellationToken).ConfigureAwait(false);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
        return CommittedBatch.At(batch.HeadAfter(Head));
    }

    /// <summary>Deletes the log up to <paramref name="upToSyncId"/>, raises the horizon (records stay) and commits.</summary>
    public async ValueTask CompactAsync(long upToSyncId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var statements = new PgStatements();
        statements.Add(PgSql.Compact, ("upTo", upToSyncId));
        await statements.ExecuteAsync(_connection, cancellationToken).ConfigureAwait(false);
        await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        _committed = true;
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
            // Not committed: rolled back, and the head lock is released with it.
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
