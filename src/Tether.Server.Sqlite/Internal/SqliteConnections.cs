using Microsoft.Data.Sqlite;

namespace Tether.Server.Sqlite.Internal;

/// <summary>Connection strings and per-connection settings derived from <see cref="SqliteStoreOptions"/>.</summary>
internal static class SqliteConnections
{
    public static string ReaderConnectionString(SqliteStoreOptions options) =>
        Builder(options, pooling: true).ToString();

    public static SqliteConnection OpenWriter(SqliteStoreOptions options)
    {
        // Not pooled: the store keeps it open for its whole life, and closing it must really release the file.
        var connection = new SqliteConnection(Builder(options, pooling: false).ToString());
        connection.Open();
        try
        {
            var journalMode = Scalar(connection, "PRAGMA journal_mode = WAL;") as string;
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL mode for '{options.Path}' (journal_mode is '{journalMode}').");
            }

            var synchronous = options.Synchronous switch
            {
                SqliteSynchronous.Full => "FULL",
                SqliteSynchronous.Normal => "NORMAL",
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Synchronous, "Unknown synchronous mode."),
            };
            // PRAGMAs take no parameters; both values are our own constants.
            Scalar(connection, $"PRAGMA synchronous = {synchronous};");
            Scalar(connection, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds(options)};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static SqliteConnectionStringBuilder Builder(SqliteStoreOptions options, bool pooling) => new()
    {
        DataSource = options.Path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = pooling,
        // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout, which is how readers get the busy timeout.
        DefaultTimeout = (int)Math.Max(1, Math.Ceiling(options.BusyTimeout.TotalSeconds)),
    };

    private static int BusyTimeoutMilliseconds(SqliteStoreOptions options) =>
        (int)Math.Clamp(options.BusyTimeout.TotalMilliseconds, 0, int.MaxValue);

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
