using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// Reads the slot's state every few seconds on every node: how much WAL it holds back (what PostgreSQL cannot remove
/// until the sequencer confirms it), whether a sequencer streams from it, and whether PostgreSQL already removed WAL it
/// needed. The slot-lag gauge and the health check report what it read last.
/// </summary>
internal sealed partial class PgSlotMonitor(PostgreSqlTetherStore store, ILogger<PgSlotMonitor> logger) : BackgroundService
{
    private const string ReadSlot =
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, active, coalesce(wal_status, '') " +
        "FROM pg_replication_slots WHERE slot_name = @slot";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await ReadAsync(store, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Reads the slot's state into <see cref="PostgreSqlTetherStore.Slot"/>.</summary>
    public static async Task ReadAsync(PostgreSqlTetherStore store, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand(ReadSlot, connection);
        read.Parameters.AddWithValue("slot", store.SlotName);
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        SlotStatus status = await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SlotStatus(true, reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.GetBoolean(1), reader.GetString(2))
            : new SlotStatus(false, 0, false, "");
        store.Slot.Update(status);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The replication slot's state could not be read: {Reason}.")]
    private partial void LogReadFailed(string reason);
}

/// <summary>The slot as last read: whether it exists, the WAL bytes it holds back, whether a sequencer streams from
/// it, and PostgreSQL's <c>wal_status</c> (<c>lost</c>: WAL it needed is gone).</summary>
internal readonly record struct SlotStatus(bool Exists, long LagBytes, bool Active, string WalStatus);

/// <summary>What <see cref="PgSlotMonitor"/> read last, and since when no sequencer streams.</summary>
internal sealed class SlotState
{
    private readonly Lock _lock = new();
    private SlotStatus _status;
    private long? _inactiveSince;
    private bool _read;

    public SlotStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>Whether the slot was read at least once.</summary>
    public bool Read
    {
        get
        {
            lock (_lock)
            {
                return _read;
            }
        }
    }

    /// <summary>How long the slot has had no sequencer streaming from it (zero while one does).</summary>
    public TimeSpan Inactive
    {
        get
        {
            lock (_lock)
            {
                return _inactiveSince is { } since ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;
            }
        }
    }

    public void Update(SlotStatus status)
    {
        lock (_lock)
        {
            _status = status;
            _read = true;
            _inactiveSince = status.Active ? null : _inactiveSince ?? Stopwatch.GetTimestamp();
        }
    }
}
