using System.Diagnostics.Metrics;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>The instruments of the <c>Tether.Server.PostgreSql</c> meter, one set per store.</summary>
internal sealed class PgMetrics : IDisposable
{
    public const string MeterName = "Tether.Server.PostgreSql";

    private readonly Meter _meter = new(MeterName);

    /// <summary>This store's meter (a process may hold several stores, each with its own).</summary>
    public Meter Meter => _meter;

    public PgMetrics(PostgreSqlTetherStore store)
    {
        _meter.CreateObservableGauge("tether.postgresql.slot.lag", () => store.Slot.Status.LagBytes, unit: "By",
            description: "WAL the sequencer's replication slot holds back (not yet confirmed), as this node read it last.");
        _meter.CreateObservableGauge("tether.postgresql.sequencer.leader", () => Leading ? 1 : 0,
            description: "1 while this node leads the sequencer.");
        Delay = _meter.CreateHistogram<double>("tether.postgresql.sequencer.delay", unit: "ms",
            description: "Time from a transaction's commit in PostgreSQL to the round that gave its actions their syncIds.");
        Actions = _meter.CreateCounter<long>("tether.postgresql.sequencer.actions", description: "Sync actions the sequencer wrote to the log.");
        Rounds = _meter.CreateCounter<long>("tether.postgresql.sequencer.rounds", description: "Rounds the sequencer committed.");
        Elections = _meter.CreateCounter<long>("tether.postgresql.sequencer.elections", description: "Times this node won the sequencer's election.");
    }

    /// <summary>Whether this node leads the sequencer now.</summary>
    public bool Leading { get; set; }

    public Histogram<double> Delay { get; }

    public Counter<long> Actions { get; }

    public Counter<long> Rounds { get; }

    public Counter<long> Elections { get; }

    public void Dispose() => _meter.Dispose();
}
