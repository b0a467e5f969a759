using System.Diagnostics.Metrics;

namespace Tether.Server.Internal;

/// <summary>The instruments of the <c>Tether.Server</c> meter.</summary>
internal sealed class TetherMetrics : IDisposable
{
    public const string MeterName = "Tether.Server";

    private readonly Meter _meter;

    public TetherMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        Pushes = _meter.CreateCounter<long>("tether.server.pushes", description: "Push requests handled (HTTP and WebSocket).");
        Mutations = _meter.CreateCounter<long>("tether.server.mutations", description: "Mutations handled, by status.");
        PushesRefused = _meter.CreateCounter<long>("tether.server.pushes.refused", description: "Pushes (or what was left of them) the writer did not run, by reason: rate_limited (the user's queue was full), unavailable (the server was overloaded or stopping) or caller_gone (nobody waited for the answer any more).");
        QueueWait = _meter.CreateHistogram<double>("tether.server.queue.wait", unit: "ms", description: "Time a push (or a slice of a long one) waited for the writer.");
        Commits = _meter.CreateCounter<long>("tether.server.commits", description: "Group-commit transactions, by outcome.");
        CommitConflicts = _meter.CreateCounter<long>("tether.server.commit.conflicts", description: "Write transactions that lost a conflict with a concurrent writer (counted as failed commits too; nothing of them was written, and they are run again).");
        SequencingWait = _meter.CreateHistogram<double>("tether.server.sequencing.wait", unit: "ms", description: "Time from a commit to its actions having their syncIds, on a store that sequences commits after they commit.");
        CommitDuration = _meter.CreateHistogram<double>("tether.server.commit.duration", unit: "ms", description: "Time to run and commit one group-commit batch.");
        FanoutLatency = _meter.CreateHistogram<double>("tether.server.fanout.latency", unit: "ms", description: "Time from a commit to its actions being handed to connections.");
        Connections = _meter.CreateUpDownCounter<long>("tether.server.connections", description: "Open live connections, by transport.");
        SlowReadersDropped = _meter.CreateCounter<long>("tether.server.slow_readers", description: "Connections dropped because their queue was full.");
        Compactions = _meter.CreateCounter<long>("tether.server.compactions", description: "Times the retention policy raised the log's horizon.");
        FanoutRestarts = _meter.CreateCounter<long>("tether.server.fanout.restarts", description: "Times the fan-out closed every live connection and moved to the store's head, by reason: compacted (the log it had not delivered was compacted) or head_moved_back (the database lost commits already published).");
    }

    public Counter<long> Pushes { get; }
    public Counter<long> Mutations { get; }
    public Counter<long> PushesRefused { get; }
    public Histogram<double> QueueWait { get; }
    private Counter<long> Commits { get; }
    public Counter<long> CommitConflicts { get; }
    public Histogram<double> SequencingWait { get; }
    private Histogram<double> CommitDuration { get; }
    public Histogram<double> FanoutLatency { get; }
    public UpDownCounter<long> Connections { get; }
    public Counter<long> SlowReadersDropped { get; }
    public Counter<long> FanoutRestarts { get; }

    public Counter<long> Compactions { get; }

    /// <summary>The commit figures the admin API shows.</summary>
    public CommitFigures Figures { get; } = new();

    /// <summary>One group-commit transaction ended, committed or failed, with its mutations and how long it took: the
    /// meters and the admin API's figures both.</summary>
    public void CommitEnded(bool committed, int mutations, TimeSpan took)
    {
        Commits.Add(1, new KeyValuePair<string, object?>("outcome", committed ? "committed" : "failed"));
        CommitDuration.Record(took.TotalMilliseconds);
        Figures.Record(committed, mutations, took.TotalMilliseconds);
    }

    public void Dispose() => _meter.Dispose();
}
