using Npgsql;
using Npgsql.Replication;
using NpgsqlTypes;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>
/// A fresh database with Tether's schema and the given app tables, the publication <c>tether_sync</c> over
/// <c>tether_records</c> (REPLICA IDENTITY FULL) and those tables, and the pgoutput slot; the test writes with plain SQL
/// and reads what <see cref="PgChangeStream"/> decodes from the slot.
/// </summary>
internal sealed class ReplicatedDatabase : IAsyncDisposable
{
    // Only a guard against a test that would otherwise hang: every read waits on a transaction the test committed.
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    private readonly PostgresDatabase _database;
    private LogicalReplicationConnection? _replication;
    private CancellationTokenSource? _guard;
    private IAsyncEnumerator<DecodedTransaction>? _stream;

    private ReplicatedDatabase(PostgresDatabase database, string slot)
    {
        _database = database;
        Slot = slot;
    }

    public string Slot { get; }

    public string ConnectionString => _database.ConnectionString;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Makes the database; <paramref name="appTablesSql"/> creates the app's tables, all of which are
    /// published.</summary>
    public static async Task<ReplicatedDatabase> CreateAsync(string appTablesSql = "", params string[] appTables)
    {
        PostgresDatabase database = await PostgresDatabase.CreateAsync();
        try
        {
            // Slot names are the cluster's, so the database's own unique name makes one.
            var replicated = new ReplicatedDatabase(database, database.Name);
            // The store makes the publication over tether_records and the slot, as a node does; the test's app tables
            // join the publication.
            await using (var store = new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString, SlotName = replicated.Slot }))
            {
                await store.InitializeAsync(Ct);
            }
            string publish = appTables.Length == 0 ? "" : $"ALTER PUBLICATION {PgReplication.Publication} ADD TABLE {string.Join(", ", appTables)};";
            if (appTablesSql.Length + publish.Length > 0)
            {
                await replicated.ExecuteAsync(appTablesSql + publish);
            }
            return replicated;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts reading the slot with <paramref name="stream"/>, on a replication connection of its own
    /// (under <paramref name="applicationName"/>, which makes a data source of its own).</summary>
    public async Task StartAsync(PgChangeStream stream, NpgsqlLogSequenceNumber startAt = default, NpgsqlLogSequenceNumber lastCommitLsn = default, string? applicationName = null)
    {
        await StopAsync();
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = applicationName ?? "tether-decoder-test" };
        _replication = new LogicalReplicationConnection(builder.ConnectionString);
        await _replication.Open(Ct);
        _guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        _stream = stream.ReadAsync(_replication, Slot, startAt, lastCommitLsn, _guard.Token).GetAsyncEnumerator(_guard.Token);
    }

    /// <summary>The next transaction the stream tells.</summary>
    public async Task<DecodedTransaction> NextAsync()
    {
        IAsyncEnumerator<DecodedTransaction> stream = _stream ?? throw new InvalidOperationException("StartAsync first.");
        _guard!.CancelAfter(ReadTimeout);
        Assert.True(await stream.MoveNextAsync(), "The replication stream ended.");
        return stream.Current;
    }

    /// <summary>Runs <paramref name="sql"/> in one transaction and returns that transaction's id
    /// (<c>pg_current_xact_id()</c>).</summary>
    public async Task<ulong> CommitAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        ulong xid = await CurrentXidAsync(connection);
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            await command.ExecuteNonQueryAsync(Ct);
        }
        await transaction.CommitAsync(Ct);
        return xid;
    }

    /// <summary>Runs <paramref name="sql"/> in one transaction with a Tether marker emitted in it.</summary>
    public async Task<ulong> CommitWithMarkerAsync(string sql, byte[] marker, bool transactional = true, string prefix = MarkerMessage.Prefix)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        ulong xid = await CurrentXidAsync(connection);
        if (sql.Length > 0)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(Ct);
        }
        await using (var emit = new NpgsqlCommand("SELECT pg_logical_emit_message(@transactional, @prefix, @marker)", connection))
        {
            emit.Parameters.AddWithValue("transactional", transactional);
            emit.Parameters.AddWithValue("prefix", prefix);
            emit.Parameters.AddWithValue("marker", marker);
            await emit.ExecuteNonQueryAsync(Ct);
        }
        await transaction.CommitAsync(Ct);
        return xid;
    }

    /// <summary>Runs <paramref name="sql"/> in one transaction and rolls it back.</summary>
    public async Task RollBackAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Ct);
        await CurrentXidAsync(connection);
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            await command.ExecuteNonQueryAsync(Ct);
        }
        await transaction.RollbackAsync(Ct);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>The 32-bit transaction id pgoutput tells for a transaction whose <c>pg_current_xact_id()</c> is
    /// <paramref name="xid"/>.</summary>
    public static uint Xid32(ulong xid) => (uint)(xid & 0xFFFF_FFFF);

    public async Task StopAsync()
    {
        if (_guard is not null)
        {
            await _guard.CancelAsync();
        }
        if (_stream is not null)
        {
            try
            {
                await _stream.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
                // The stream was stopped on purpose.
            }
            _stream = null;
        }
        if (_replication is not null)
        {
            await _replication.DisposeAsync();
            _replication = null;
        }
        _guard?.Dispose();
        _guard = null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await _database.DisposeAsync();
        }
    }

    private static async Task<ulong> CurrentXidAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()::text", connection);
        return ulong.Parse((string)(await command.ExecuteScalarAsync(Ct))!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
