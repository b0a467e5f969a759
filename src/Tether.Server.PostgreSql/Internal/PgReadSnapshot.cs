using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// A REPEATABLE READ, READ ONLY transaction: every read sees the one committed state of its first statement. The
/// sequencer writes each round's actions and head in one transaction, so for readers of the log the head read there
/// bounds exactly the actions the snapshot can see. The records lag or lead the log: <c>PgSeam</c> finds the syncId
/// the data matches, and when that is past the log this transaction sees, the log is read from a second snapshot
/// taken after the sequencer caught up (<c>log</c>), capped at <see cref="Head"/>.
/// </summary>
internal sealed class PgReadSnapshot : ITetherReadSnapshot, IStoreConnection
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly (NpgsqlConnection Connection, NpgsqlTransaction Transaction)? _log;

    internal PgReadSnapshot(NpgsqlConnection connection, NpgsqlTransaction transaction, long head, long horizon,
        (NpgsqlConnection Connection, NpgsqlTransaction Transaction)? log = null)
    {
        _connection = connection;
        _transaction = transaction;
        Head = head;
        Horizon = horizon;
        _log = log;
    }

    private NpgsqlConnection LogConnection => _log?.Connection ?? _connection;

    public long Head { get; }

    public long Horizon { get; }

    public DbConnection Connection => _connection;

    public DbTransaction? Transaction => _transaction;

    public static async ValueTask<PgReadSnapshot> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (NpgsqlCommand readOnly = PgReads.Command(connection, "SET TRANSACTION READ ONLY"))
            {
                await readOnly.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            long head = await PgReads.ScalarAsync(connection, PgSql.ReadHead, cancellationToken).ConfigureAwait(false);
            long horizon = await PgReads.ScalarAsync(connection, PgSql.ReadHorizon, cancellationToken).ConfigureAwait(false);
            return new PgReadSnapshot(connection, transaction, head, horizon);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
        => PgReads.GetRecordAsync(_connection, modelName, id, cancellationToken);

    public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
        => PgReads.ListRecordsAsync(_connection, modelName, syncGroup, cancellationToken);

    public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
        => PgReads.GetClientAsync(_connection, clientId, cancellationToken);

    public IStoredRecordCursor ReadRecords(IReadOnlyCollection<string> modelNames, IReadOnlyCollection<string> syncGroups)
        => new PgRecordCursor(PgReads.Command(_connection, PgSql.ReadRecords, ("models", modelNames.ToArray()), ("groups", syncGroups.ToArray())));

    public async IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(string modelName, string syncGroup, string afterId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = PgReads.Command(_connection, PgSql.ReadRecordsAfter, ("model", modelName), ("group", syncGroup), ("after", afterId));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredRecord(modelName, reader.GetString(0), reader.GetString(1));
        }
    }

    public ValueTask<IReadOnlyList<LogEntry>> ReadLogAsync(long afterSyncId, long upToSyncId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadEntriesAsync(PgReads.Command(LogConnection, PgSql.ReadLog, ("after", afterSyncId), ("upTo", Math.Min(upToSyncId, Head)), ("limit", limit)), cancellationToken);
    }

    public ValueTask<IReadOnlyList<LogEntry>> ReadVisibleLogAsync(long afterSyncId, long upToSyncId, IReadOnlyCollection<string> syncGroups, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadEntriesAsync(PgReads.Command(LogConnection, PgSql.ReadVisibleLog, ("after", afterSyncId), ("upTo", Math.Min(upToSyncId, Head)), ("groups", syncGroups.ToArray()), ("limit", limit)), cancellationToken);
    }

    public async ValueTask<IReadOnlyList<GroupChange>> ReadGroupChangesAsync(long afterSyncId, long upToSyncId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = PgReads.Command(LogConnection, PgSql.ReadGroupChanges, ("after", afterSyncId), ("upTo", Math.Min(upToSyncId, Head)));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<GroupChange>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new GroupChange(reader.GetInt64(0), reader.GetString(1)));
        }
        return changes;
    }

    private static async ValueTask<IReadOnlyList<LogEntry>> ReadEntriesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var entries = new List<LogEntry>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                entries.Add(new LogEntry(
                    SyncId: reader.GetInt64(0),
                    Action: reader.GetString(1),
                    ModelName: reader.GetString(2),
                    ModelId: reader.GetString(3),
                    Data: reader.IsDBNull(4) ? null : reader.GetString(4),
                    SyncGroups: reader.GetFieldValue<string[]>(7),
                    ClientId: reader.IsDBNull(5) ? null : reader.GetString(5),
                    MutationId: reader.IsDBNull(6) ? null : reader.GetInt64(6)));
            }
            return entries;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            if (_log is { } log)
            {
                await log.Transaction.DisposeAsync().ConfigureAwait(false);
                await log.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
