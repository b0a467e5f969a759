namespace Tether.Client.Sqlite;

/// <summary>Settings of a <see cref="SqliteLocalStore"/>.</summary>
public sealed class SqliteLocalStoreOptions
{
    /// <summary>The database file. Its directory is created when missing.</summary>
    public string Path { get; set; } = "tether-client.db";

    /// <summary><see cref="LocalSynchronous.Full"/> unless the app accepts losing the last writes on power loss.</summary>
    public LocalSynchronous Synchronous { get; set; } = LocalSynchronous.Full;
}
