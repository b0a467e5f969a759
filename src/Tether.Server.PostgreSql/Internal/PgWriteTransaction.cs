using Npgsql;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A READ COMMITTED transaction that first locks the <c>tether_head</c> row. Every writer of every node takes that
/// lock before anything else and keeps it until it commits, so the writers run one at a time: each sees all that
/// committed before it (mutators on two nodes cannot lose each other's updates), and syncIds are assigned, in this
/// order, from the head it locked. A later writer can only start after this one committed, so syncId order is commit
/// order, and a reader never sees a hole that closes behind it (the late-commit bug of timestamp or sequence ids).
/// Writes and savepoints wait in <see cref="PgPendingWrites"/> and go out with the next read or the commit.
/// </summary>
internal sealed class PgWriteTransaction : ITetherWriteTransaction
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly long _lockedHead;
    private readonly PgPendingWrites _pending = new();
    // Head at each open savepoint, innermost on top, so a rollback restores exactly that level's head.
    private readonly Stack<long> _savepointHeads = new();
    private bool _committed;
    private bool _disposed;

    private PgWriteTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, long head)
    {
        _connection = connection;
        _transaction = transaction;
        _lockedHead = head;
        Head = head;
    }

    public long Head { get; private set; }

    public static async ValueTask<PgWriteTransaction> BeginAsync(NpgsqlDataSource dataSource, TimeSpan lockTimeout, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            string timeout = ((long)lockTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            // BEGIN, the lock timeout and the lock itself in one round trip.
            await using var begin = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands = { new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {timeout}"), new NpgsqlBatchCommand(PgSql.LockHead) },
            };
            long head;
            await using (NpgsqlDataReader reader = await begin.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("tether_head has no row: the store's schema is damaged.");
                }
                head = reader.GetInt64(0);
            }
            return new PgWriteTransaction(connection, transaction, head);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetRecordAsync(_connection, _pending, modelName, id, cancellationToken);
    }

    public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.ListRecordsAsync(_connection, _pending, modelName, syncGroup, cancellationToken);
    }

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetClientAsync(_connection, _pending, clientId, cancellationToken);
    }

    public ValueTask SetLastMutationIdAsync(string clientId, string userId, long lastMutationId, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.SetLastMutationId, cancellationToken, ("client", clientId), ("user", userId), ("last", lastMutationId));

    public ValueTask AddRejectionAsync(string clientId, long mutationId, StoredRejection rejection, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.AddRejection, cancellationToken, ("client", clientId), ("mutation", mutationId), ("code", rejection.Code), ("message", rejection.Message));

    public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        EnsureOpen();
        return PgReads.GetRejectionAsync(_connection, _pending, clientId, mutationId, cancellationToken);
    }

    public ValueTask ForgetRejectionsBeforeAsync(string clientId, long mutationId, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.ForgetRejections, cancellationToken, ("client", clientId), ("mutation", mutationId));

    public ValueTask PutRecordAsync(string modelName, string id, string data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.PutRecord, cancellationToken, ("model", modelName), ("id", id), ("data", data), ("groups", syncGroups.ToArray()));

    public ValueTask DeleteRecordAsync(string modelName, string id, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.DeleteRecord, cancellationToken, ("model", modelName), ("id", id));

    public async ValueTask<long> AppendActionAsync(NewSyncAction action, CancellationToken cancellationToken)
    {
        long syncId = Head + 1;
        await ExecuteAsync(PgSql.AppendAction, cancellationToken,
            ("syncId", syncId), ("action", action.Action), ("model", action.ModelName), ("modelId", action.ModelId), ("data", action.Data),
            ("client", action.ClientId), ("mutation", action.MutationId), ("groups", action.SyncGroups.ToArray())).ConfigureAwait(false);
        Head = syncId;
        return syncId;
    }

    public ValueTask AddGroupChangeAsync(long syncId, string userId, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.AddGroupChange, cancellationToken, ("syncId", syncId), ("user", userId));

    /// <summary>Deletes the log up to <paramref name="upToSyncId"/> and raises the horizon (records stay).</summary>
    public ValueTask CompactAsync(long upToSyncId, CancellationToken cancellationToken)
        => ExecuteAsync(PgSql.Compact, cancellationToken, ("upTo", upToSyncId));

    public ValueTask SavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        _pending.Savepoint();
        _savepointHeads.Push(Head);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseSavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        EnsureSavepoint();
        _pending.ReleaseSavepoint();
        _savepointHeads.Pop();
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToSavepointAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        EnsureSavepoint();
        _pending.RollbackToSavepoint();
        Head = _savepointHeads.Pop();
        return ValueTask.CompletedTask;
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        if (_savepointHeads.Count != 0)
        {
            throw new InvalidOperationException("Release or roll back every savepoint before committing.");
        }
        if (Head != _lockedHead)
        {
            _pending.Add(PgSql.SetHead, ("head", Head));
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Queues a write; it reaches the server with the next read or the commit.</summary>
    private ValueTask ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        EnsureOpen();
        cancellationToken.ThrowIfCancellationRequested();
        _pending.Add(sql, parameters);
        return ValueTask.CompletedTask;
    }

    private ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        return _pending.FlushAsync(_connection, cancellationToken);
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException("The write transaction is already committed.");
        }
    }

    private void EnsureSavepoint()
    {
        if (_savepointHeads.Count == 0)
        {
            throw new InvalidOperationException("No savepoint is open.");
        }
    }
}
