using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Sync actions appended in a transaction of the app's own connection, ordered with every other writer of every node
/// by a lock on the <c>tether_head</c> row, and written with the statements
/// of its commit (the head's NOTIFY included) in one round trip.
/// </summary>
internal sealed class PgLogAppender(TimeSpan lockTimeout)
{
    // The head each app transaction locked, which its append must continue. Npgsql reuses a connection's transaction
    // object for its next transaction, so an entry is only as fresh as the last LockHeadAsync, which the contract
    // requires before every append.
    private readonly ConditionalWeakTable<NpgsqlTransaction, StrongBox<long>> _locked = [];

    /// <summary>Writers on PostgreSQL run concurrently up to the head lock, so an app's transaction has no turn to wait for.</summary>
    public static ValueTask<IAsyncDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IAsyncDisposable>(NoTurn.Instance);
    }

    public async ValueTask<long> LockHeadAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        (NpgsqlConnection npgsql, NpgsqlTransaction npgsqlTransaction) = Check(connection, transaction);
        long head = await LockHeadAsync(npgsql, npgsqlTransaction, lockTimeout, cancellationToken).ConfigureAwait(false);
        _locked.AddOrUpdate(npgsqlTransaction, new StrongBox<long>(head));
        return head;
    }

    public async ValueTask AppendAsync(DbConnection connection, DbTransaction transaction, WriteBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        (NpgsqlConnection npgsql, NpgsqlTransaction npgsqlTransaction) = Check(connection, transaction);
        batch.CheckLogOnly();
        if (!_locked.TryGetValue(npgsqlTransaction, out StrongBox<long>? head))
        {
            throw new InvalidOperationException("Call LockHeadAsync in the transaction before appending to the log.");
        }
        batch.CheckContinues(head.Value);

        var statements = new PgStatements();
        AddLog(statements, batch, head.Value);
        await statements.ExecuteAsync(npgsql, cancellationToken).ConfigureAwait(false);
        head.Value = batch.HeadAfter(head.Value);
    }

    /// <summary>In <paramref name="transaction"/>, takes the head lock (waiting at most <paramref name="lockTimeout"/>)
    /// and returns the head it holds; the transaction's BEGIN, if not sent yet, goes in the same round trip.</summary>
    private static async ValueTask<long> LockHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan lockTimeout, CancellationToken cancellationToken)
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
    private static void AddLog(PgStatements statements, WriteBatch batch, long head)
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

    private static (NpgsqlConnection, NpgsqlTransaction) Check(DbConnection connection, DbTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        if (connection is not NpgsqlConnection npgsql || transaction is not NpgsqlTransaction npgsqlTransaction || !ReferenceEquals(transaction.Connection, connection))
        {
            throw new ArgumentException("The PostgreSQL store appends on an open Npgsql connection to its database, in that connection's transaction.", nameof(transaction));
        }
        return (npgsql, npgsqlTransaction);
    }

    private sealed class NoTurn : IAsyncDisposable
    {
        public static readonly NoTurn Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
