namespace Tether.Server.PostgreSql;

/// <summary>Where and how the PostgreSQL store connects.</summary>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=tether;Username=tether;Password=…</c>. Every node
    /// of one deployment uses the same database.</summary>
    public required string ConnectionString { get; set; }

    /// <summary>How long a write waits for the head lock that orders all writers before it gives up (the push is then
    /// answered 503 and retried by its client): a node stuck inside a transaction must not stall every node for ever.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many write transactions each node's pipeline holds open at once (at least 1). Each takes the head
    /// lock first, so the others wait for it on the database.</summary>
    public int Writers { get; set; } = 1;

    /// <summary>How long the commit listener waits before reconnecting after its connection dropped (it doubles up
    /// to <see cref="MaxReconnectDelay"/>); the log tailer's poll keeps delivering meanwhile.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The app's tables whose rows are synced records, read from the write-ahead log
    /// (<c>Tether.EntityFrameworkCore</c> adds one per mapped model). Tether's own record table is always read.</summary>
    public IList<PgSyncedTable> SyncedTables { get; } = [];

    /// <summary>The longest wait between the commit listener's reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);
}
