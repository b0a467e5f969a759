using Npgsql;
using Tether.Server.PostgreSql.Internal;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql;

/// <summary>
/// Tether's storage on PostgreSQL, shared by any number of server nodes: syncId order equals commit order across all
/// of them (writers serialise on one row lock from their first statement to their commit), snapshots are REPEATABLE
/// READ, and each commit NOTIFYs the other nodes' log tailers.
/// </summary>
public sealed class PostgreSqlTetherStore : ITetherStore
{
    private readonly NpgsqlDataSource _dataSource;

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
        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
    }

    public PostgreSqlStoreOptions Options { get; }

    internal NpgsqlDataSource DataSource => _dataSource;

    public Task InitializeAsync(CancellationToken cancellationToken) => PgMigrator.MigrateAsync(_dataSource, cancellationToken);

    public async ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
        => await PgWriteTransaction.BeginAsync(_dataSource, Options.LockTimeout, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken)
        => await PgReadSnapshot.OpenAsync(_dataSource, cancellationToken).ConfigureAwait(false);

    public async Task CompactAsync(long upToSyncId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upToSyncId);
        await using PgWriteTransaction transaction = await PgWriteTransaction.BeginAsync(_dataSource, Options.LockTimeout, cancellationToken).ConfigureAwait(false);
        // A horizon above the head would send clients that are fully caught up to resync_required.
        if (upToSyncId > transaction.Head)
        {
            throw new ArgumentOutOfRangeException(nameof(upToSyncId), upToSyncId, $"Cannot compact beyond the head ({transaction.Head}).");
        }
        await transaction.CompactAsync(upToSyncId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
