using Microsoft.Data.Sqlite;
using Tether.Sqlite;

namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// The local store's schema as an ordered list of steps. <c>PRAGMA user_version</c> records how many have run; it
/// changes inside the step's transaction, so a crash never leaves a step half recorded.
/// </summary>
internal static class LocalSchema
{
    // Append new steps; never edit one that has shipped, since files on devices already ran it.
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE records(
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY(model, id)) WITHOUT ROWID;

        CREATE TABLE pending(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            args TEXT NOT NULL);

        CREATE TABLE meta(
            key TEXT NOT NULL PRIMARY KEY,
            value TEXT);
        """,
    ];

    public static int LatestVersion => Steps.Length;

    public static void Apply(SqliteConnection connection, string path) => SqliteMigrator.Apply(connection, path, Steps, "Tether.Client.Sqlite");

}
