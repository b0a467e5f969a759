using Microsoft.Data.Sqlite;

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

    public static void Apply(SqliteConnection connection, string path)
    {
        for (var version = 1; version <= Steps.Length; version++)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = ReadVersion(connection, transaction);
            if (current > Steps.Length)
            {
                throw new InvalidOperationException(
                    $"The Tether local database '{path}' has schema version {current}, but this version of " +
                    $"Tether.Client.Sqlite only knows versions up to {Steps.Length}. It was written by a newer Tether " +
                    "client; upgrade the app instead of opening it with this one.");
            }

            if (current >= version)
            {
                continue;
            }

            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                // user_version takes no parameter; the value is our own integer, not input.
                command.CommandText = Steps[version - 1] + $";\nPRAGMA user_version = {version};";
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    public static long ReadVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }
}
