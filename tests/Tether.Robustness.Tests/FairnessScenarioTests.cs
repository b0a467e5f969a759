using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Robustness.Tests;

/// <summary>The fairness scenario of issue 11: while one user floods the writer with batches of group-changing
/// mutations, another user's single pushes are still answered promptly. The figure itself is measured by
/// <c>bench/Tether.Bench fairness</c>; the bound here is generous, a stall of the old kind (tens of seconds) fails it.</summary>
public sealed class FairnessScenarioTests
{
    private const int LightPushes = 40;
    private static readonly TimeSpan GenerousBound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Another_users_pushes_stay_prompt_while_one_user_floods_group_changes()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = options => options.Limits.RequestsPerSecond = 0 });
        using SyncApi flooder = server.Api("flooder");
        using SyncApi light = server.Api("light");
        await new Seed(light, "l").TeamWithProjectAsync("lt", "lp");

        using var stop = new CancellationTokenSource();
        int floodPushes = 0;
        Task flood = Task.Run(async () =>
        {
            long id = 0;
            while (!stop.IsCancellationRequested)
            {
                JsonObject[] batch = [.. Enumerable.Range(1, 1_000).Select(i => M(id + i, "createTeam", new { id = $"f{id + i}", name = "Flood" }))];
                using HttpResponseMessage response = await flooder.PushRawAsync("flood-1", batch);
                // The flooder may be told to slow down (429) or be shed (503); anything else is a failure.
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
                    $"the flood's push answered {(int)response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    id += 1_000;
                    Interlocked.Increment(ref floodPushes);
                }
            }
        });

        var latencies = new List<TimeSpan>();
        // At least LightPushes, and on until two whole floods went through beside them (bounded, so a stalled flood
        // fails the test rather than hanging it).
        for (int i = 1; i <= LightPushes || Volatile.Read(ref floodPushes) < 2 && i <= 50 * LightPushes; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await light.ApplyAsync("light-2", i, "createIssue", new { id = "li" + i, projectId = "lp", title = "Issue " + i });
            latencies.Add(Stopwatch.GetElapsedTime(started));
        }
        await stop.CancelAsync();
        await flood;

        Assert.True(floodPushes >= 2, $"the flood got only {floodPushes} pushes through beside {latencies.Count} light ones");
        TimeSpan slowest = latencies.Max();
        Assert.True(slowest < GenerousBound, $"another user's push took {slowest.TotalMilliseconds:F0} ms while the flood ran ({floodPushes} flood pushes of 1,000)");
    }
}
