using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The replication objects the sequencer reads from, made by the migrator: REPLICA IDENTITY FULL on every synced
/// table (so an update or a delete carries the row as it was, and with it the groups that must hear of it), the
/// publication over them, and the slot. A slot made on a database whose log is not empty cannot tell what happened
/// before it, so the log is reset: the head steps over one syncId and the horizon follows, every client bootstraps.
/// </summary>
internal static class PgReplication
{
    public const string Publication = "tether_sync";

    /// <summary>The default slot name: slots are named per cluster, so it carries the database's name.</summary>
    public static string DefaultSlotName(string database)
    {
        var name = new StringBuilder("tether_");
        foreach (char c in database.ToLowerInvariant())
        {
            name.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }
        return name.Length > 63 ? name.ToString(0, 63) : name.ToString();
    }

    public static async Task EnsureAsync(NpgsqlConnection connection, string slotName, IReadOnlyList<(string Schema, string Table)> tables, CancellationToken cancellationToken)
    {
        string walLevel = (string)(await ScalarAsync(connection, "SHOW wal_level", cancellationToken).ConfigureAwait(false))!;
        if (walLevel != "logical")
        {
            throw new InvalidOperationException(
                $"PostgreSQL runs with wal_level = {walLevel}; Tether's sequencer reads the write-ahead log and needs wal_level = logical " +
                "(set it in postgresql.conf or with ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL).");
        }
        var quoted = tables.Select(t => Quote(t.Schema) + "." + Quote(t.Table)).ToList();
        foreach ((string schema, string table) in tables)
        {
            object? identity = await ScalarAsync(connection,
                "SELECT c.relreplident::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @p0 AND c.relname = @p1",
                cancellationToken, schema, table).ConfigureAwait(false);
            if (identity is null)
            {
                throw new InvalidOperationException($"The synced table {schema}.{table} does not exist; apply the app's migrations before starting Tether.");
            }
            if ((string)identity != "f")
            {
                await ExecuteAsync(connection, $"ALTER TABLE {Quote(schema)}.{Quote(table)} REPLICA IDENTITY FULL", cancellationToken).ConfigureAwait(false);
            }
        }
        await EnsurePublicationAsync(connection, tables, quoted, cancellationToken).ConfigureAwait(false);
        await EnsureSlotAsync(connection, slotName, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsurePublicationAsync(NpgsqlConnection connection, IReadOnlyList<(string Schema, string Table)> tables, List<string> quoted, CancellationToken cancellationToken)
    {
        bool exists = await ScalarAsync(connection, "SELECT 1 FROM pg_publication WHERE pubname = @p0", cancellationToken, Publication).ConfigureAwait(false) is not null;
        string list = string.Join(", ", quoted);
        if (!exists)
        {
            await ExecuteAsync(connection, $"CREATE PUBLICATION {Publication} FOR TABLE {list}", cancellationToken).ConfigureAwait(false);
            return;
        }
        var published = new HashSet<(string, string)>();
        await using (NpgsqlCommand command = Command(connection, "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = @p0", Publication))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                published.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        if (!published.SetEquals(tables))
        {
            await ExecuteAsync(connection, $"ALTER PUBLICATION {Publication} SET TABLE {list}", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureSlotAsync(NpgsqlConnection connection, string slotName, CancellationToken cancellationToken)
    {
        NpgsqlLogSequenceNumber? start = null;
        await using (NpgsqlCommand command = Command(connection,
            "SELECT database, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = @p0", slotName))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string? database = reader.IsDBNull(0) ? null : reader.GetString(0);
                if (database != connection.Database)
                {
                    throw new InvalidOperationException(
                        $"The replication slot '{slotName}' belongs to another database ({database}); set PostgreSqlStoreOptions.SlotName to a name of this database's own.");
                }
                start = reader.IsDBNull(1) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
            }
        }
        if (start is null)
        {
            // Outside any transaction: making a logical slot waits for the transactions already running and then
            // fixes the point from which it decodes.
            await using NpgsqlCommand create = Command(connection, "SELECT lsn FROM pg_create_logical_replication_slot(@p0, 'pgoutput')", slotName);
            // It waits for as long as the oldest of those runs, which the connection string's command timeout knows
            // nothing of: a node must start late behind a long transaction, not fail.
            create.CommandTimeout = 0;
            start = (NpgsqlLogSequenceNumber)(await create.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            await PlaceHeadAsync(connection, start.Value, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (await ScalarAsync(connection, "SELECT 1 FROM tether_head WHERE lsn IS NULL", cancellationToken).ConfigureAwait(false) is not null)
        {
            // A slot made by a start that stopped before it placed the head.
            await PlaceHeadAsync(connection, start.Value, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The log continues from the slot's first position; a log that already had actions cannot tell what
    /// happened before the slot existed, so every client starts again from a bootstrap.</summary>
    private static async Task PlaceHeadAsync(NpgsqlConnection connection, NpgsqlLogSequenceNumber start, CancellationToken cancellationToken)
    {
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = Command(connection,
            "UPDATE tether_head SET sync_id = CASE WHEN sync_id > 0 THEN sync_id + 1 ELSE 0 END, lsn = @p0, last_commit_lsn = @p0 RETURNING sync_id", start);
        long head = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await ExecuteAsync(connection, "UPDATE tether_meta SET value = greatest(value, @p0) WHERE key = 'horizon'", cancellationToken, head).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        for (int i = 0; i < parameters.Length; i++)
        {
            command.Parameters.Add(PgReads.Parameter("p" + i, parameters[i]));
        }
        return command;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(connection, sql, parameters);
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
