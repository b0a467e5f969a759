namespace Tether.Server.Sqlite;

/// <summary>How hard SQLite syncs the write-ahead log to disk (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronous
{
    /// <summary>Every commit is durable once it returns, also across a power loss.</summary>
    Full,

    /// <summary>Faster commits; a power loss may lose the last commits (never corrupts the file).</summary>
    Normal,
}
