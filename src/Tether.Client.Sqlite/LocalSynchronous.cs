namespace Tether.Client.Sqlite;

/// <summary>How hard SQLite syncs the write-ahead log to disk (<c>PRAGMA synchronous</c>).</summary>
public enum LocalSynchronous
{
    /// <summary>Every write is durable once it returns, also across a power loss.</summary>
    Full,

    /// <summary>Faster writes; a power loss may lose the last writes (each one whole), never corrupts the file.</summary>
    Normal,
}
