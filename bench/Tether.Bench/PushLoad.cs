using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench;

/// <summary>The figures of one push run.</summary>
internal sealed record PushFigures(int Clients, long Pushes, double Seconds, long Commits)
{
    public double PushesPerSecond => Pushes / Seconds;
    public double MutationsPerCommit => Commits == 0 ? 0 : (double)Pushes / Commits;
}

/// <summary>N clients push one durable mutation per HTTP request to a fresh server, each waiting for its answer
/// before the next.</summary>
internal static class PushLoad
{
    public static async Task<PushFigures> RunAsync(string directory, int clients, TimeSpan duration)
    {
        await using LoopbackServer server = await LoopbackServer.StartAsync(Path.Combine(directory, $"push-{clients}.db"));
        return await RunAsync([server.Address], clients, duration);
    }

    /// <summary>The clients are spread over the nodes round-robin (all nodes share one store).</summary>
    public static async Task<PushFigures> RunAsync(IReadOnlyList<Uri> nodes, int clients, TimeSpan duration)
    {
        using var commits = new CommitCounter();
        using var https = new LoadClients(nodes, clients);
        string run = Guid.NewGuid().ToString("N")[..8];
        await PushAsync(https.For(0), "setup-" + run, 1, "createTeam", new JsonObject { ["id"] = "t-" + run, ["name"] = "Bench" });
        await PushAsync(https.For(0), "setup-" + run, 2, "createProject", new JsonObject { ["id"] = "p-" + run, ["teamId"] = "t-" + run, ["name"] = "Bench" });

        long before = commits.Count;
        (long pushes, double seconds) = await https.RunAsync(clients, duration, (http, c, id) =>
            PushAsync(http, $"client-{run}-{c}", id, "createIssue", new JsonObject { ["id"] = $"i-{run}-{c}-{id}", ["projectId"] = "p-" + run, ["title"] = "Issue " + id }));
        return new PushFigures(clients, pushes, seconds, commits.Count - before);
    }

    internal static async Task PushAsync(HttpClient http, string clientId, long id, string name, JsonObject args)
    {
        var body = new JsonObject
        {
            ["clientId"] = clientId,
            ["mutations"] = new JsonArray(new JsonObject { ["id"] = id, ["name"] = name, ["args"] = args }),
        };
        using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", body);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || !text.Contains("\"applied\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"push {clientId}#{id} failed: {(int)response.StatusCode} {text}");
        }
    }

    /// <summary>Counts committed group-commit transactions from the server's own <c>Tether.Server</c> meter.</summary>
    internal sealed class CommitCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public CommitCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Tether.Server" && instrument.Name == "tether.server.commits")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "outcome" && (string?)tag.Value == "committed")
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
