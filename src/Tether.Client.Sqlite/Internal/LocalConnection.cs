using Microsoft.Data.Sqlite;

namespace Tether.Client.Sqlite.Internal;

/// <summary>Opens the store's single connection with its per-connection settings.</summary>
internal static class LocalConnection
{
    public static SqliteConnection Open(SqliteLocalStoreOptions options)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Not pooled: the store keeps it open for its whole life, and closing it must really release the file.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            var journalMode = Scalar(connection, "PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite refused WAL mode for '{options.Path}' (journal_mode is '{journalMode}').");
            }

            var synchronous = options.Synchronous switch
            {
                LocalSynchronous.Full => "FULL",
                LocalSynchronous.Normal => "NORMAL",
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Synchronous, "Unknown synchronous mode."),
            };
            // PRAGMAs take no parameters; the value is our own constant.
            Scalar(connection, $"PRAGMA synchronous = {synchronous};");
            LocalSchema.Apply(connection, options.Path);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
