namespace Tether.Server.Sqlite;

/// <summary>Settings of the embedded SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Its directory is created when missing.</summary>
    public string Path { get; set; } = "tether.db";

    /// <summary><see cref="SqliteSynchronous.Full"/> unless the host accepts losing the last commits on power loss.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>How long a statement waits for a lock held by another connection before it fails.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
