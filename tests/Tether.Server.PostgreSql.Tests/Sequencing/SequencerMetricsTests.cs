using System.Diagnostics.Metrics;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>The <c>Tether.Server.PostgreSql</c> meter tells who leads, what the sequencer wrote and how long a commit
/// waited for its syncIds.</summary>
public sealed class SequencerMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_leading_node_reports_its_leadership_the_actions_it_wrote_and_the_delay_of_each_transaction()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        Meter meter = db.Store.Metrics.Meter;
        var measured = new Dictionary<string, List<double>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value)
        {
            lock (measured)
            {
                (measured.TryGetValue(instrument.Name, out List<double>? values) ? values : measured[instrument.Name] = []).Add(value);
            }
        }
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument, value));
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Record(instrument, value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(instrument, value));
        listener.Start();

        await using var store = new SequencedStore(db.Store);
        await store.InitializeAsync(Ct);
        long head;
        await using (ITetherWriteTransaction write = await store.BeginWriteAsync(Ct))
        {
            CommittedBatch committed = await write.CommitAsync(new WriteBatch
            {
                Records = [new RecordWrite("issue", "i1", """{"id":"i1"}""", ["team:1"]), new RecordWrite("issue", "i2", """{"id":"i2"}""", ["team:1"])],
            }, Ct);
            head = await committed.Sequenced;
        }
        // The round's NOTIFY can answer the commit before the sequencer has counted the round.
        await Tether.Tests.Eventually.HoldsAsync(() =>
        {
            lock (measured)
            {
                return measured.TryGetValue("tether.postgresql.sequencer.actions", out List<double>? actions) && actions.Sum() >= 2
                    && measured.ContainsKey("tether.postgresql.sequencer.delay");
            }
        }, "the sequencer counted its round", TimeSpan.FromSeconds(30));
        listener.RecordObservableInstruments();

        lock (measured)
        {
            Assert.Equal(2, head);
            Assert.Equal(1, measured["tether.postgresql.sequencer.leader"][^1]);
            Assert.Equal(1, measured["tether.postgresql.sequencer.elections"].Sum());
            Assert.Equal(2, measured["tether.postgresql.sequencer.actions"].Sum());
            Assert.True(measured["tether.postgresql.sequencer.rounds"].Sum() >= 1);
            Assert.Contains(measured["tether.postgresql.sequencer.delay"], delay => delay >= 0);
            Assert.Single(measured["tether.postgresql.slot.lag"]);
        }
    }
}
