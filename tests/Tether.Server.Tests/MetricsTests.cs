using System.Diagnostics.Metrics;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task The_Tether_Server_meter_counts_pushes_mutations_commits_and_connections()
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tether.Server")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value)
        {
            lock (seen)
            {
                seen[instrument.Name] = seen.GetValueOrDefault(instrument.Name) + value;
            }
        }
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Record(instrument, value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Record(instrument, 1));
        listener.Start();

        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await using (LiveClient live = await LiveClient.ConnectAsync(server, "alice"))
        {
            await live.ExpectAsync("handshake");
            await new Seed(alice, "c1").TeamWithProjectAsync("t1", "p1");
            // The team's actions reaching the live connection means the fan-out ran for them.
            while (await live.ReceiveAsync() is { } frame && !(frame.GetProperty("type").GetString() == "sync" && frame.GetProperty("sync").GetArrayLength() > 0))
            {
            }
        }

        lock (seen)
        {
            Assert.True(seen.GetValueOrDefault("tether.server.pushes") >= 2, "pushes counted");
            Assert.True(seen.GetValueOrDefault("tether.server.mutations") >= 2, "mutations counted");
            Assert.True(seen.GetValueOrDefault("tether.server.commits") >= 1, "commits counted");
            Assert.True(seen.GetValueOrDefault("tether.server.commit.duration") >= 1, "commit duration recorded");
            Assert.True(seen.GetValueOrDefault("tether.server.fanout.latency") >= 1, "fan-out latency recorded");
            Assert.True(seen.ContainsKey("tether.server.connections"), "connections counted");
        }
    }
}
