using System.Diagnostics.Metrics;

namespace Tether.Bench;

/// <summary>What the servers of this process report on their own meters: committed group-commit transactions and
/// lost write conflicts (<c>Tether.Server</c>, summed over every node of the process), and the PostgreSQL
/// sequencer's delay from a transaction's commit to the round that gave it syncIds (<c>Tether.Server.PostgreSql</c>).</summary>
internal sealed class BenchMeters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<double> _sequencerDelays = [];
    private long _commits;
    private long _conflicts;
    private bool _recordDelays;

    public BenchMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Tether.Server" && instrument.Name is "tether.server.commits" or "tether.server.commit.conflicts"
                || instrument.Meter.Name == "Tether.Server.PostgreSql" && instrument.Name == "tether.postgresql.sequencer.delay")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "tether.server.commit.conflicts")
            {
                Interlocked.Add(ref _conflicts, value);
                return;
            }
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "outcome" && (string?)tag.Value == "committed")
                {
                    Interlocked.Add(ref _commits, value);
                }
            }
        });
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_sequencerDelays)
            {
                if (_recordDelays)
                {
                    _sequencerDelays.Add(value);
                }
            }
        });
        _listener.Start();
    }

    public long Commits => Interlocked.Read(ref _commits);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>Starts keeping the sequencer's delays (from now on, dropping any kept before).</summary>
    public void RecordSequencerDelays()
    {
        lock (_sequencerDelays)
        {
            _sequencerDelays.Clear();
            _recordDelays = true;
        }
    }

    /// <summary>The sequencer's delays kept since <see cref="RecordSequencerDelays"/>, in ms, sorted.</summary>
    public List<double> SequencerDelays()
    {
        lock (_sequencerDelays)
        {
            _recordDelays = false;
            List<double> sorted = [.. _sequencerDelays];
            sorted.Sort();
            return sorted;
        }
    }

    public void Dispose() => _listener.Dispose();
}
