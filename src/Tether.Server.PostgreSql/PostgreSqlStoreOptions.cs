namespace Tether.Server.PostgreSql;

/// <summary>Where and how the PostgreSQL store connects.</summary>
public sealed class PostgreSqlStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=tether;Username=tether;Password=…</c>. Every node
    /// of one deployment uses the same database.</summary>
    public required string ConnectionString { get; set; }

    /// <summary>How long a write waits for a row lock another transaction holds (a concurrent writer of the same
    /// record, or an app transaction left open on it) before it gives up; the push is then answered 503 and retried
    /// by its client. A node stuck inside a transaction must not stall the writers of its rows for ever.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many write transactions each node's pipeline holds open at once (at least 1). They run
    /// concurrently and share no lock: one whose reads another changed before it committed fails its check at commit
    /// (or, with synced app tables, PostgreSQL's SERIALIZABLE check), and the pipeline runs its work again.</summary>
    public int Writers { get; set; } = 4;

    /// <summary>How long the commit listener waits before reconnecting after its connection dropped (it doubles up
    /// to <see cref="MaxReconnectDelay"/>); the log tailer's poll keeps delivering meanwhile.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The app's tables whose rows are synced records, read from the write-ahead log
    /// (<c>Tether.EntityFrameworkCore</c> adds one per mapped model). Tether's own record table is always read.</summary>
    public IList<PgSyncedTable> SyncedTables { get; } = [];

    /// <summary>The logical replication slot the sequencer reads; slots are named per cluster. Default:
    /// <c>tether_</c> and the database's name.</summary>
    public string? SlotName { get; set; }

    /// <summary>How long a push waits for the sequencer to give its committed mutations their syncIds before it is
    /// answered 503 (its retry is then answered as a duplicate).</summary>
    public TimeSpan SequencingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many bytes of WAL the sequencer's slot may hold back before the health check says Degraded.</summary>
    public long DegradedSlotLag { get; set; } = 256L * 1024 * 1024;

    /// <summary>How often a node that does not lead the sequencer tries to.</summary>
    internal TimeSpan ElectionInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the leader checks that its lock's session is alive.</summary>
    internal TimeSpan LeaderCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the database may be quiet before the leader sends a heartbeat through the slot.</summary>
    internal TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A transaction with more row changes than this is not told as actions: clients bootstrap instead.</summary>
    internal int MaxActionsPerTransaction { get; set; } = 100_000;

    /// <summary>The longest wait between the commit listener's reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);
}
