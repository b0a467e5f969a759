using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench;

/// <summary>The latency of other users' pushes while flooders push batches of group-changing mutations.</summary>
internal sealed record FairnessFigures(int Flooders, int Pushes, double P50Ms, double P99Ms, double MaxMs, long FloodMutations);

/// <summary>
/// Light users each push one <c>createIssue</c> per request, one after the other; meanwhile each flooder (a user of
/// its own) pushes batches of 1,000 <c>createTeam</c>, each of which changes that user's sync groups. The light users'
/// push latency is the figure; the same run without flooders is its floor.
/// </summary>
internal static class FairnessLoad
{
    private const int FloodBatch = 1_000;

    public static async Task<FairnessFigures> RunAsync(string directory, int flooders, int lightUsers, TimeSpan duration)
    {
        await using LoopbackServer server = await LoopbackServer.StartAsync(Path.Combine(directory, $"fairness-{flooders}.db"));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = flooders + lightUsers + 2 };
        string run = Guid.NewGuid().ToString("N")[..8];
        HttpClient Client(string user)
        {
            var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + user);
            return http;
        }

        using var stop = new CancellationTokenSource();
        long floodMutations = 0;
        Task[] floods = [.. Enumerable.Range(0, flooders).Select(f => Task.Run(async () =>
        {
            using HttpClient http = Client($"flooder-{run}-{f}");
            long id = 0;
            while (!stop.IsCancellationRequested)
            {
                var mutations = new JsonArray();
                for (int i = 0; i < FloodBatch; i++)
                {
                    id++;
                    mutations.Add(new JsonObject { ["id"] = id, ["name"] = "createTeam", ["args"] = new JsonObject { ["id"] = $"f{f}-{id}", ["name"] = "Flood" } });
                }
                using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = $"flood-{run}-{f}", ["mutations"] = mutations });
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Add(ref floodMutations, FloodBatch);
                }
                else
                {
                    // Refused by the server's limits: the flooder backs off as a client would, and resends the same ids.
                    id -= FloodBatch;
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                }
            }
        }))];

        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, lightUsers).Select(async u =>
        {
            string user = $"light-{run}-{u}";
            using HttpClient http = Client(user);
            await PushLoad.PushAsync(http, "setup-" + user, 1, "createTeam", new JsonObject { ["id"] = "t-" + user, ["name"] = "Light" });
            await PushLoad.PushAsync(http, "setup-" + user, 2, "createProject", new JsonObject { ["id"] = "p-" + user, ["teamId"] = "t-" + user, ["name"] = "Light" });
            long id = 1;
            while (clock.Elapsed < duration)
            {
                long started = Stopwatch.GetTimestamp();
                await PushLoad.PushAsync(http, "client-" + user, id, "createIssue", new JsonObject { ["id"] = $"i-{user}-{id}", ["projectId"] = "p-" + user, ["title"] = "Issue " + id });
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(ms);
                }
                id++;
            }
        }));
        await stop.CancelAsync();
        await Task.WhenAll(floods);
        latencies.Sort();
        return new FairnessFigures(flooders, latencies.Count, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count == 0 ? double.NaN : latencies[^1], floodMutations);
    }

    /// <summary>NaN when no light push was answered within the run at all.</summary>
    private static double Percentile(List<double> sorted, double p)
        => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
