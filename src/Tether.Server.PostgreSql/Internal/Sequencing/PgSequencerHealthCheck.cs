using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// Degraded when the slot holds back more WAL than <see cref="PostgreSqlStoreOptions.DegradedSlotLag"/> (the sequencer
/// falls behind, or is gone) or no sequencer has streamed from it for <see cref="InactiveLimit"/>; Unhealthy when the
/// sequencer stopped on a table it cannot read, when the slot is missing, or when PostgreSQL removed WAL the slot
/// still needed (<c>wal_status = lost</c>: clients must bootstrap once a new slot exists). Reports the lag in bytes.
/// </summary>
internal sealed class PgSequencerHealthCheck(PostgreSqlTetherStore store) : IHealthCheck
{
    public static readonly TimeSpan InactiveLimit = TimeSpan.FromSeconds(30);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!store.Slot.Read)
        {
            await PgSlotMonitor.ReadAsync(store, cancellationToken).ConfigureAwait(false);
        }
        SlotStatus slot = store.Slot.Status;
        var data = new Dictionary<string, object>
        {
            ["slotLagBytes"] = slot.LagBytes,
            ["slotActive"] = slot.Active ? 1 : 0,
        };
        if (store.Sequencer.Stopped is { } stopped)
        {
            return HealthCheckResult.Unhealthy("The sequencer stopped: " + stopped, data: data);
        }
        if (!slot.Exists)
        {
            return HealthCheckResult.Unhealthy($"The replication slot '{store.SlotName}' is missing; restart a node to make it again (clients then bootstrap).", data: data);
        }
        if (slot.WalStatus == "lost")
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL removed WAL the replication slot '{store.SlotName}' still needed; drop the slot and restart a node (clients then bootstrap).", data: data);
        }
        if (slot.LagBytes > store.Options.DegradedSlotLag)
        {
            return HealthCheckResult.Degraded("The sequencer is behind: its slot holds back more WAL than allowed.", data: data);
        }
        if (store.Slot.Inactive > InactiveLimit)
        {
            return HealthCheckResult.Degraded("No sequencer streams from the replication slot.", data: data);
        }
        return HealthCheckResult.Healthy(data: data);
    }
}
