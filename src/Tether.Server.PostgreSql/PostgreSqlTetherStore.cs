using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Tether.Server.PostgreSql.Internal;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql;

/// <summary>
/// Tether's storage on PostgreSQL, shared by any number of server nodes. Writers take no lock shared by all of them:
/// each checks at commit, under locks on just the keys it read and writes, that what its mutators read still holds
/// (SERIALIZABLE instead when the app's synced tables are read in the same transaction). One sequencer per database
/// (the node that wins its election) reads every committed change to Tether's record table and to the app's synced tables (<see cref="PostgreSqlStoreOptions.SyncedTables"/>) from
/// the write-ahead log, whoever wrote it (Tether's mutators, the app's own transactions, raw SQL, another service),
/// and gives each its syncId in commit order. Snapshots are REPEATABLE READ, and each sequenced commit NOTIFYs the
/// nodes' log tailers.
/// </summary>
public sealed class PostgreSqlTetherStore : ITetherStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _sessionDataSource;

    /// <summary>A store on the database <paramref name="options"/> names; it opens connections only when used.</summary>
    public PostgreSqlTetherStore(PostgreSqlStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (connection.MaxAutoPrepare == 0)
        {
            // The store runs the same few statements all the time; preparing them saves PostgreSQL a parse and plan
            // per call. A connection string that sets its own value keeps it.
            connection.MaxAutoPrepare = 64;
        }
        // Connections that keep session state (LISTEN, session advisory locks) come unpooled from their own source,
        // so the pooled ones carry none: a pooled connection then needs no reset on its way back to the pool, which
        // Npgsql does with seven statements (a fifth of all statements under a write load).
        _sessionDataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connection.ConnectionString) { Pooling = false }.ConnectionString);
        if (!Names(options.ConnectionString, nameof(connection.NoResetOnClose)))
        {
            connection.NoResetOnClose = true;
        }
        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        SlotName = options.SlotName ?? PgReplication.DefaultSlotName(connection.Database ?? connection.Username ?? "postgres");
        Metrics = new PgMetrics(this);
    }

    /// <summary>Whether the connection string sets the keyword itself (in any of its spellings, "No Reset On Close" or
    /// "NoResetOnClose").</summary>
    private static bool Names(string connectionString, string keyword)
        => new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>The options the store was made with.</summary>
    public PostgreSqlStoreOptions Options { get; }

    /// <summary>Pooled connections for transactions and snapshots: whatever runs on them, the store's statements and
    /// an extension's (<see cref="IStoreConnection"/>), leaves no session state behind (SET LOCAL, transaction-scoped
    /// locks).</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Unpooled connections, for what holds session state: the migration lock, LISTEN.</summary>
    internal NpgsqlDataSource SessionDataSource => _sessionDataSource;

    /// <summary>The sequencer's progress as this node hears of it.</summary>
    internal SequencerState Sequencer { get; } = new();

    internal string SlotName { get; }

    /// <summary>The slot as this node read it last.</summary>
    internal SlotState Slot { get; } = new();

    internal PgMetrics Metrics { get; }

    /// <summary>Every table the sequencer reads: the app's (<see cref="PostgreSqlStoreOptions.SyncedTables"/>).</summary>
    internal IReadOnlyList<PgSyncedTable> SyncedTables => [.. Options.SyncedTables];

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken)
        => PgMigrator.MigrateAsync(_sessionDataSource, EnsureReplicationAsync, cancellationToken);

    private Task EnsureReplicationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        => PgReplication.EnsureAsync(connection, SlotName, [("public", "tether_records"), .. SyncedTables.Select(t => (t.Schema, t.Table))], cancellationToken);

    /// <inheritdoc />
    public int Writers => Math.Max(1, Options.Writers);

    /// <inheritdoc />
    public async ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
        => await PgWalWriteTransaction.BeginAsync(this, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken)
        => await PgSeam.OpenAsync(this, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken)
        => await PgReadSnapshot.OpenAsync(_dataSource, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upToSyncId);
        return PgCompaction.CompactAsync(_dataSource, upToSyncId, Options.LockTimeout, cancellationToken);
    }

    /// <summary>The store's work on this node: the commit listener that wakes this node's log tailer
    /// (<paramref name="commits"/>) whenever the log grows, over LISTEN/NOTIFY; the sequencer, which this node runs
    /// whenever it wins the election; and the slot monitor behind the slot-lag gauge and the health check.
    /// <see cref="TetherPostgreSqlBuilderExtensions.UsePostgreSql"/> runs it as a hosted service; a host that makes
    /// the store otherwise (<c>Tether.EntityFrameworkCore</c>) starts and stops the one this returns.</summary>
    public IHostedService CreateBackgroundService(ITetherCommitSignal commits, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(commits);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new PgBackgroundService(this, commits, loggerFactory);
    }

    /// <inheritdoc />
    public async ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await PgReads.ScalarAsync(connection, PgSql.SyncIdAt, cancellationToken, ("at", time.ToUniversalTime())).ConfigureAwait(false);
    }

    /// <summary>The node that leads the sequencer runs the maintenance, so that one node at a time does.</summary>
    public bool RunsMaintenance => Metrics.Leading;

    /// <summary>The sequencer's health as this node sees it: Degraded when the replication slot holds back more than
    /// <see cref="PostgreSqlStoreOptions.DegradedSlotLag"/> or no sequencer streams, Unhealthy when the sequencer
    /// stopped or the slot is missing or lost. <see cref="TetherPostgreSqlBuilderExtensions.UsePostgreSql"/> registers it.</summary>
    public IHealthCheck CreateHealthCheck() => new PgSequencerHealthCheck(this);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await _sessionDataSource.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
