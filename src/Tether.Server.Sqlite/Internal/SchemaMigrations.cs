using Microsoft.Data.Sqlite;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// The store's schema as an ordered list of steps. Every table and index is <c>tether_*</c> and the number of steps
/// run is the <c>schema_version</c> row of <c>tether_meta</c>, so the store can share a database with an app whose
/// tables and <c>PRAGMA user_version</c> stay the app's. The row changes inside the step's transaction, so a crash
/// never leaves a step half recorded; IMMEDIATE takes the write lock before the version is read, so two processes
/// starting at once cannot both run the same step.
/// </summary>
internal static class SchemaMigrations
{
    private const string Owner = "Tether.Server.Sqlite";

    private const string RecordGroupsByGroup = "CREATE INDEX tether_record_groups_by_group ON tether_record_groups(group_id, model, id);";

    private const string ActionGroupsByGroup = "CREATE INDEX tether_action_groups_by_group ON tether_action_groups(group_id, sync_id);";

    // Append new steps; never edit one that has shipped, since files in the field already ran it.
    private static readonly string[] Steps =
    [
        // Foreign keys are deliberately not declared: checking them costs on every hot write, and the only
        // deletions (DeleteRecord, Compact) remove the link rows explicitly in the same transaction.
        $$"""
        CREATE TABLE tether_groups(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE);

        CREATE TABLE tether_records(
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY(model, id));

        CREATE TABLE tether_record_groups(
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            group_id INTEGER NOT NULL,
            PRIMARY KEY(model, id, group_id)) WITHOUT ROWID;
        {{RecordGroupsByGroup}}

        -- AUTOINCREMENT keeps the highest syncId in sqlite_sequence, so ids are never reused even after compaction
        -- empties the table, and a rolled-back savepoint also rolls the counter back (no hole).
        CREATE TABLE tether_actions(
            sync_id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            model TEXT NOT NULL,
            model_id TEXT NOT NULL,
            data TEXT,
            client_id TEXT,
            mutation_id INTEGER);

        CREATE TABLE tether_action_groups(
            sync_id INTEGER NOT NULL,
            group_id INTEGER NOT NULL,
            PRIMARY KEY(sync_id, group_id)) WITHOUT ROWID;
        {{ActionGroupsByGroup}}

        CREATE TABLE tether_group_changes(
            sync_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY(sync_id, user_id)) WITHOUT ROWID;

        CREATE TABLE tether_clients(
            client_id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            last_mutation_id INTEGER NOT NULL) WITHOUT ROWID;

        CREATE TABLE tether_meta(
            key TEXT NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO tether_meta(key, value) VALUES('horizon', 0);
        """,

        // The error of every refused mutation, so that a retry of its id (its answer was lost) is answered
        // 'rejected' again instead of 'duplicate', which a client would take for applied.
        """
        CREATE TABLE tether_rejections(
            client_id TEXT NOT NULL,
            mutation_id INTEGER NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY(client_id, mutation_id)) WITHOUT ROWID;
        """,

        // When each commit was made (Unix milliseconds), by its last syncId: retention by age compacts the log up to
        // the last commit older than the age it keeps.
        """
        CREATE TABLE tether_log_times(
            sync_id INTEGER NOT NULL PRIMARY KEY,
            committed_at INTEGER NOT NULL);
        """,
    ];

    // The first layout, which a store file had to itself: the same tables without the prefix, and the number of steps
    // run in PRAGMA user_version. Its step N made the tables of step N above, so a file of that layout is at version N
    // once they are renamed.
    private static readonly string[][] FirstLayoutTables =
    [
        ["groups", "records", "record_groups", "actions", "action_groups", "group_changes", "clients", "meta"],
        ["rejections"],
    ];

    // Written to user_version when a file of the first layout is adopted, so that a Tether from before the prefix
    // refuses the file as written by a newer version instead of running on tables that are no longer there.
    private static readonly int UserVersionAfterAdoption = FirstLayoutTables.Length + 1;

    public static int LatestVersion => Steps.Length;

    /// <summary>Runs the steps the database has not had yet, each in its own transaction, after adopting a file of
    /// the first layout in place; throws when the database has more steps than this store knows (a newer version
    /// wrote it).</summary>
    public static void Apply(SqliteConnection connection, string path)
    {
        while (true)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = ReadVersion(connection, transaction);
            if (current > Steps.Length)
            {
                throw new InvalidOperationException(
                    $"The database '{path}' has Tether schema version {current}, but this version of {Owner} only knows " +
                    $"versions up to {Steps.Length}. It was written by a newer Tether; upgrade instead of opening it with this one.");
            }
            if (current == Steps.Length)
            {
                return;
            }

            var firstLayout = current == 0 ? FirstLayoutVersion(connection, transaction) : 0;
            Execute(connection, transaction, firstLayout > 0
                ? AdoptFirstLayout(firstLayout) + VersionStatement(firstLayout)
                : Steps[current] + "\n" + VersionStatement(current + 1));
            transaction.Commit();
        }
    }

    /// <summary>The steps run, or 0 when the database has no Tether tables yet.</summary>
    private static long ReadVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tether_meta'") is 0L)
        {
            return 0;
        }

        return Scalar(connection, transaction, "SELECT value FROM tether_meta WHERE key = 'schema_version'") as long? ?? 0;
    }

    private static string VersionStatement(long version) =>
        $"INSERT INTO tether_meta(key, value) VALUES('schema_version', {version}) ON CONFLICT(key) DO UPDATE SET value = excluded.value;";

    /// <summary>The version of a file of the first layout, or 0 when the database is not one: only a user_version
    /// that layout wrote, with every table it made and its horizon row, counts, so an app's tables of the same names
    /// are never taken for Tether's.</summary>
    private static int FirstLayoutVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        var userVersion = (long)Scalar(connection, transaction, "PRAGMA user_version;")!;
        if (userVersion < 1 || userVersion > FirstLayoutTables.Length)
        {
            return 0;
        }

        foreach (var table in FirstLayoutTables.Take((int)userVersion).SelectMany(tables => tables))
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
            command.Parameters.AddWithValue("$name", table);
            if (command.ExecuteScalar() is 0L)
            {
                return 0;
            }
        }

        return Scalar(connection, transaction, "SELECT count(*) FROM meta WHERE key = 'horizon'") is 1L ? (int)userVersion : 0;
    }

    /// <summary>Renames the first layout's tables and rebuilds its indexes under their prefixed names (SQLite cannot
    /// rename an index); sqlite_sequence follows the rename of the log's table, so the head stays.</summary>
    private static string AdoptFirstLayout(int version) =>
        string.Concat(FirstLayoutTables.Take(version).SelectMany(tables => tables).Select(table => $"ALTER TABLE {table} RENAME TO tether_{table};\n")) +
        "DROP INDEX record_groups_by_group;\n" + RecordGroupsByGroup + "\n" +
        "DROP INDEX action_groups_by_group;\n" + ActionGroupsByGroup + "\n" +
        // user_version takes no parameter; the value is our own integer, not input.
        $"PRAGMA user_version = {UserVersionAfterAdoption};\n";

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
