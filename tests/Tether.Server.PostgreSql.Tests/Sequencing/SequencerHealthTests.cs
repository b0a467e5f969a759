using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tether.Server.PostgreSql.Internal.Sequencing;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>The health check reads the replication slot: Degraded while it holds back more WAL than allowed, Healthy
/// once a sequencer confirmed it (an idle database included, thanks to the leader's heartbeat), Unhealthy without a slot.</summary>
public sealed class SequencerHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const long Threshold = 64 * 1024;

    [Fact]
    public async Task Health_is_degraded_while_the_slot_holds_back_more_wal_than_allowed_and_healthy_once_a_sequencer_confirmed_it()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync(options =>
        {
            options.DegradedSlotLag = Threshold;
            options.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        });
        // No sequencer runs yet: nothing confirms this WAL.
        await db.ExecuteAsync("INSERT INTO tether_records(model, id, data, groups) SELECT 'issue', g::text, repeat('x', 1000), '{team:1}' FROM generate_series(1, 300) g");
        var check = new PgSequencerHealthCheck(db.Store);

        await PgSlotMonitor.ReadAsync(db.Store, Ct);
        HealthCheckResult behind = await check.CheckHealthAsync(new HealthCheckContext(), Ct);
        Assert.Equal(HealthStatus.Degraded, behind.Status);
        Assert.True((long)behind.Data["slotLagBytes"] > Threshold, $"lag {behind.Data["slotLagBytes"]}");

        await using var sequenced = new SequencedStore(db.Store);
        await sequenced.InitializeAsync(Ct);
        HealthCheckResult caughtUp = behind;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (caughtUp.Status != HealthStatus.Healthy)
        {
            // The monitor reads the slot every few seconds; the test reads it as often as it checks.
            await Task.Delay(50, deadline.Token);
            await PgSlotMonitor.ReadAsync(db.Store, Ct);
            caughtUp = await check.CheckHealthAsync(new HealthCheckContext(), Ct);
        }
        Assert.True((long)caughtUp.Data["slotLagBytes"] <= Threshold);
        Assert.Equal(1L, Convert.ToInt64(caughtUp.Data["slotActive"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Health_is_unhealthy_and_names_the_slot_when_the_slot_is_missing()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        await db.ExecuteAsync($"SELECT pg_drop_replication_slot('{db.Store.SlotName}')");

        await PgSlotMonitor.ReadAsync(db.Store, Ct);
        HealthCheckResult result = await new PgSequencerHealthCheck(db.Store).CheckHealthAsync(new HealthCheckContext(), Ct);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains(db.Store.SlotName, result.Description, StringComparison.Ordinal);
    }
}
