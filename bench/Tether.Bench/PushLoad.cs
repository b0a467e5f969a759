using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench;

/// <summary>The figures of one push run; <paramref name="Conflicts"/> are write transactions that lost a conflict and
/// ran again, <paramref name="Unavailable"/> pushes answered 503 and sent again.</summary>
internal sealed record PushFigures(int Clients, long Pushes, double Seconds, long Commits, long Conflicts = 0, long Unavailable = 0)
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
        using var meters = new BenchMeters();
        using var https = new LoadClients(nodes, clients);
        string run = Guid.NewGuid().ToString("N")[..8];
        await SetUpAsync(https, run);

        return await RunAsync(https, meters, run, clients, duration, "createIssue", (c, id) => $"i-{run}-{c}-{id}");
    }

    /// <summary>Each client pushes <paramref name="mutator"/> with a new issue of the run's project
    /// (<c>p-</c><paramref name="run"/>, set up by <see cref="SetUpAsync"/>) per request, the issue's id from
    /// <paramref name="issueId"/> (the client's index and its request number).</summary>
    public static async Task<PushFigures> RunAsync(LoadClients https, BenchMeters meters, string run, int clients, TimeSpan duration, string mutator, Func<int, long, string> issueId)
    {
        long commitsBefore = meters.Commits;
        long conflictsBefore = meters.Conflicts;
        long unavailable = 0;
        (long pushes, double seconds) = await https.RunAsync(clients, duration, async (http, c, id) =>
            Interlocked.Add(ref unavailable, await PushAsync(http, $"client-{run}-{c}", id, mutator, Issue(run, issueId(c, id)))));
        return new PushFigures(clients, pushes, seconds, meters.Commits - commitsBefore, meters.Conflicts - conflictsBefore, unavailable);
    }

    /// <summary>A random id, as the sample's clients make them (<c>Guid.NewGuid().ToString("N")</c>): on PostgreSQL's
    /// SERIALIZABLE writers, ids close in key order share btree leaf pages and so conflict (see the SSI spike).</summary>
    public static string RandomId() => Guid.NewGuid().ToString("N");

    /// <summary>The run's team <c>t-</c><paramref name="run"/> and project <c>p-</c><paramref name="run"/>, made by
    /// the user of client 0, with every user of <paramref name="https"/> a member.</summary>
    public static async Task SetUpAsync(LoadClients https, string run)
    {
        HttpClient owner = https.For(0);
        string setup = "setup-" + run;
        await PushAsync(owner, setup, 1, "createTeam", new JsonObject { ["id"] = "t-" + run, ["name"] = "Bench" });
        await PushAsync(owner, setup, 2, "createProject", new JsonObject { ["id"] = "p-" + run, ["teamId"] = "t-" + run, ["name"] = "Bench" });
        long id = 3;
        foreach (string user in https.Users.Skip(1))
        {
            await PushAsync(owner, setup, id++, "addMember", new JsonObject { ["teamId"] = "t-" + run, ["userId"] = user });
        }
    }

    /// <summary>The args of <c>createIssue</c> for issue <paramref name="id"/> of the run's project.</summary>
    public static JsonObject Issue(string run, string id)
        => new() { ["id"] = id, ["projectId"] = "p-" + run, ["title"] = "Issue " + id };

    /// <summary>Pushes one mutation until it is applied; a 503 (overload, or the sequencer too slow to answer in
    /// time) is sent again after its Retry-After, as a client does, and then may be answered as a duplicate.
    /// Returns the 503 answers it met.</summary>
    internal static async Task<int> PushAsync(HttpClient http, string clientId, long id, string name, JsonObject args)
    {
        var body = new JsonObject
        {
            ["clientId"] = clientId,
            ["mutations"] = new JsonArray(new JsonObject { ["id"] = id, ["name"] = name, ["args"] = args }),
        };
        int unavailable = 0;
        while (true)
        {
            using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", body);
            string text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
            {
                unavailable++;
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(100));
                continue;
            }
            if (response.IsSuccessStatusCode && (text.Contains("\"applied\"", StringComparison.Ordinal) || unavailable > 0 && text.Contains("\"duplicate\"", StringComparison.Ordinal)))
            {
                return unavailable;
            }
            throw new InvalidOperationException($"push {clientId}#{id} failed: {(int)response.StatusCode} {text}");
        }
    }
}
