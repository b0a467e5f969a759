using Microsoft.Data.Sqlite;

namespace Tether.Sqlite;

/// <summary>
/// Runs a schema's ordered steps on a SQLite file (source shared by the server's and the client's SQLite stores).
/// <c>PRAGMA user_version</c> records how many steps have run and changes inside the step's transaction, so a crash
/// never leaves a step half recorded; IMMEDIATE takes the write lock before reading the version, so two processes
/// starting at once cannot both run the same step.
/// </summary>
internal static class SqliteMigrator
{
    /// <summary>Runs the steps the file has not had yet, each in its own transaction; throws when the file has more
    /// steps than <paramref name="steps"/> (a newer version wrote it).</summary>
    /// <param name="connection">An open connection to the file.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="steps">The schema's SQL steps, oldest first; a released step never changes.</param>
    /// <param name="owner">What wrote the file, for the message when it is newer than this code, e.g. "Tether.Server.Sqlite".</param>
    public static void Apply(SqliteConnection connection, string path, IReadOnlyList<string> steps, string owner)
    {
        for (var version = 1; version <= steps.Count; version++)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = ReadVersion(connection, transaction);
            if (current > steps.Count)
            {
                throw new InvalidOperationException(
                    $"The database '{path}' has schema version {current}, but this version of {owner} only knows " +
                    $"versions up to {steps.Count}. It was written by a newer Tether; upgrade instead of opening it with this one.");
            }
            if (current >= version)
            {
                continue;
            }
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                // user_version cannot take a parameter; the value is our own integer, not input.
                command.CommandText = steps[version - 1] + $";\nPRAGMA user_version = {version};";
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
