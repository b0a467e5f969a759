using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// A deferred read transaction on a pooled connection. In WAL mode the first read fixes the snapshot, so the
/// head and horizon are read at once: everything after comes from the same commit, whatever the writer does.
/// </summary>
internal sealed class SqliteReadSnapshot : ITetherReadSnapshot, IStoreConnection
{
    private readonly SqliteConnection _connection;
    private bool _disposed;

    private SqliteReadSnapshot(SqliteConnection connection, long head, long horizon)
    {
        _connection = connection;
        Head = head;
        Horizon = horizon;
    }

    public long Head { get; }

    public long Horizon { get; }

    public DbConnection Connection
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _connection;
        }
    }

    // Begun with raw SQL, like the writer's: the connection's commands read the snapshot without a transaction object.
    public DbTransaction? Transaction => null;

    public static async ValueTask<SqliteReadSnapshot> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = "BEGIN; " + Sql.ReadHead + "; " + Sql.ReadHorizon + ";";
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            reader.Read();
            var head = reader.GetInt64(0);
            reader.NextResult();
            reader.Read();
            var horizon = reader.GetInt64(0);
            return new SqliteReadSnapshot(connection, head, horizon);
        }
        catch
        {
            EndTransaction(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.GetRecord);
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$id", id);
        return new ValueTask<Record?>(Rows.ReadRecord(command, modelName, id));
    }

    public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ListRecords);
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$group", syncGroup);
        return new ValueTask<IReadOnlyList<Record>>(Rows.ReadRecordList(command, modelName));
    }

    public async IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(
        string modelName,
        string syncGroup,
        string afterId,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ReadRecordsAfter);
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$group", syncGroup);
        command.Parameters.AddWithValue("$after", afterId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredRecord(modelName, reader.GetString(0), reader.GetString(1));
        }
    }

    public IStoredRecordCursor ReadRecords(IReadOnlyCollection<string> modelNames, IReadOnlyCollection<string> syncGroups)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new SqliteRecordCursor(_connection, Sql.ReadRecords, ("$models", JsonArrays.FromStrings(modelNames)), ("$groups", JsonArrays.FromStrings(syncGroups)));
    }

    public ValueTask<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSyncId, long upToSyncId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var command = Command(Sql.ReadLog);
        AddRange(command, afterSyncId, upToSyncId);
        command.Parameters.AddWithValue("$limit", limit);
        return new ValueTask<IReadOnlyList<LogEntry>>(Rows.ReadLog(command));
    }

    public ValueTask<IReadOnlyList<LogEntry>> ReadVisibleLogAsync(
        long afterSyncId, long upToSyncId, IReadOnlyCollection<string> syncGroups, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var command = Command(Sql.ReadVisibleLog);
        AddRange(command, afterSyncId, upToSyncId);
        command.Parameters.AddWithValue("$groups", JsonArrays.FromStrings(syncGroups));
        command.Parameters.AddWithValue("$limit", limit);
        return new ValueTask<IReadOnlyList<LogEntry>>(Rows.ReadLog(command));
    }

    public ValueTask<IReadOnlyList<GroupChange>> ReadGroupChangesAsync(long afterSyncId, long upToSyncId, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ReadGroupChanges);
        AddRange(command, afterSyncId, upToSyncId);
        var changes = new List<GroupChange>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            changes.Add(new GroupChange(reader.GetInt64(0), reader.GetString(1)));
        }

        return new ValueTask<IReadOnlyList<GroupChange>>(changes);
    }

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.GetClient);
        command.Parameters.AddWithValue("$client", clientId);
        return new ValueTask<ClientState?>(Rows.ReadClient(command, clientId));
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
            EndTransaction(_connection);
        }
        finally
        {
            // Back to the pool; the transaction must be over first or the next user would inherit this snapshot.
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private SqliteCommand Command(string sql)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static void AddRange(SqliteCommand command, long afterSyncId, long upToSyncId)
    {
        command.Parameters.AddWithValue("$after", afterSyncId);
        command.Parameters.AddWithValue("$upTo", upToSyncId);
    }

    private static void EndTransaction(SqliteConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open && raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
    }
}
