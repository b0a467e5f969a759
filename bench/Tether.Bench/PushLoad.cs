using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
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
        Uri address = server.Address;

        using var commits = new CommitCounter();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 1 };
        using var http = new HttpClient(handler) { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
        await PushAsync(http, "setup", 1, "createTeam", new JsonObject { ["id"] = "t", ["name"] = "Bench" });
        await PushAsync(http, "setup", 2, "createProject", new JsonObject { ["id"] = "p", ["teamId"] = "t", ["name"] = "Bench" });

        long before = commits.Count;
        var clock = Stopwatch.StartNew();
        long[] pushed = new long[clients];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            long id = 1;
            while (clock.Elapsed < duration)
            {
                await PushAsync(http, $"client-{c}", id, "createIssue", new JsonObject { ["id"] = $"i-{c}-{id}", ["projectId"] = "p", ["title"] = "Issue " + id });
                id++;
            }
            pushed[c] = id - 1;
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        return new PushFigures(clients, pushed.Sum(), seconds, commits.Count - before);
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
    private sealed class CommitCounter : IDisposable
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
