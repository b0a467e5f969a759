using Microsoft.Data.Sqlite;
using Tether.Sqlite;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// The store's schema as an ordered list of steps. <c>PRAGMA user_version</c> records how many have run; it lives in
/// the file header and changes inside the step's transaction, so a crash never leaves a step half recorded.
/// </summary>
internal static class SchemaMigrations
{
    // Append new steps; never edit one that has shipped, since files in the field already ran it.
    private static readonly string[] Steps =
    [
        // Foreign keys are deliberately not declared: checking them costs on every hot write, and the only
        // deletions (DeleteRecord, Compact) remove the link rows explicitly in the same transaction.
        """
        CREATE TABLE groups(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE);

        CREATE TABLE records(
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY(model, id));

        CREATE TABLE record_groups(
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            group_id INTEGER NOT NULL,
            PRIMARY KEY(model, id, group_id)) WITHOUT ROWID;
        CREATE INDEX record_groups_by_group ON record_groups(group_id, model, id);

        -- AUTOINCREMENT keeps the highest syncId in sqlite_sequence, so ids are never reused even after compaction
        -- empties the table, and a rolled-back savepoint also rolls the counter back (no hole).
        CREATE TABLE actions(
            sync_id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            model TEXT NOT NULL,
            model_id TEXT NOT NULL,
            data TEXT,
            client_id TEXT,
            mutation_id INTEGER);

        CREATE TABLE action_groups(
            sync_id INTEGER NOT NULL,
            group_id INTEGER NOT NULL,
            PRIMARY KEY(sync_id, group_id)) WITHOUT ROWID;
        CREATE INDEX action_groups_by_group ON action_groups(group_id, sync_id);

        CREATE TABLE group_changes(
            sync_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY(sync_id, user_id)) WITHOUT ROWID;

        CREATE TABLE clients(
            client_id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            last_mutation_id INTEGER NOT NULL) WITHOUT ROWID;

        CREATE TABLE meta(
            key TEXT NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta(key, value) VALUES('horizon', 0);
        """,

        // The error of every refused mutation, so that a retry of its id (its answer was lost) is answered
        // 'rejected' again instead of 'duplicate', which a client would take for applied.
        """
        CREATE TABLE rejections(
            client_id TEXT NOT NULL,
            mutation_id INTEGER NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY(client_id, mutation_id)) WITHOUT ROWID;
        """,
    ];

    public static int LatestVersion => Steps.Length;

    public static void Apply(SqliteConnection connection, string path) => SqliteMigrator.Apply(connection, path, Steps, "Tether.Server.Sqlite");

}
