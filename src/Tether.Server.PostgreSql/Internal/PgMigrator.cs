using Npgsql;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>Brings Tether's tables to the newest version, one step per transaction, under an advisory lock so that
/// nodes starting together migrate once.</summary>
internal static class PgMigrator
{
    /// <param name="dataSource">The store's database.</param>
    /// <param name="then">Runs after the steps, still under the lock (the sequencer's replication objects).</param>
    /// <param name="cancellationToken">Stops the migration.</param>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, Func<NpgsqlConnection, CancellationToken, Task> then, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "SELECT pg_advisory_lock(@key)", cancellationToken, PgSchema.MigrationLockKey).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection,
                "CREATE TABLE IF NOT EXISTS tether_meta(key text PRIMARY KEY, value bigint NOT NULL); " +
                "INSERT INTO tether_meta(key, value) VALUES ('schema_version', 0) ON CONFLICT (key) DO NOTHING",
                cancellationToken).ConfigureAwait(false);
            long version = await PgReads.ScalarAsync(connection, "SELECT value FROM tether_meta WHERE key = 'schema_version'", cancellationToken).ConfigureAwait(false);
            if (version > PgSchema.Steps.Length)
            {
                throw new InvalidOperationException(
                    $"The database's Tether schema is version {version}, newer than this server knows ({PgSchema.Steps.Length}); upgrade the server.");
            }
            for (long step = version; step < PgSchema.Steps.Length; step++)
            {
                await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, PgSchema.Steps[step], cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "UPDATE tether_meta SET value = @key WHERE key = 'schema_version'", cancellationToken, step + 1).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            await then(connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, PgSchema.MigrationLockKey).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, long? key = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (key is not null)
        {
            command.Parameters.AddWithValue("key", key.Value);
        }
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
