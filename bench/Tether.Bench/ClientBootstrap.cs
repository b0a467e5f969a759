using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IssueTracker;
using Tether.Client;
using Tether.Client.Sqlite;

namespace Tether.Bench;

/// <summary>Fills a server with <c>rows</c> issues, then times a new .NET client's eager bootstrap into a SQLite local
/// store (download, parse, one transaction) until the client's data is in place.</summary>
internal static class ClientBootstrap
{
    public static async Task<double> RowsPerSecondAsync(string directory, int rows)
    {
        await using LoopbackServer server = await LoopbackServer.StartAsync(Path.Combine(directory, "bootstrap-server.db"));
        using var http = new HttpClient { BaseAddress = server.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
        await PushLoad.PushAsync(http, "seed", 1, "createTeam", new JsonObject { ["id"] = "t", ["name"] = "Bench" });
        await PushLoad.PushAsync(http, "seed", 2, "createProject", new JsonObject { ["id"] = "p", ["teamId"] = "t", ["name"] = "Bench" });
        const int perPush = 1_000;
        for (int first = 0; first < rows; first += perPush)
        {
            var mutations = new JsonArray();
            for (int i = first; i < Math.Min(rows, first + perPush); i++)
            {
                mutations.Add(new JsonObject
                {
                    ["id"] = 3 + i,
                    ["name"] = "createIssue",
                    ["args"] = new JsonObject { ["id"] = $"i{i}", ["projectId"] = "p", ["title"] = $"Issue number {i}", ["description"] = "A description of moderate length, as issues have." },
                });
            }
            using HttpResponseMessage response = await http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = "seed", ["mutations"] = mutations });
            response.EnsureSuccessStatusCode();
        }

        string clientFile = Path.Combine(directory, "bootstrap-client.db");
        var clock = Stopwatch.StartNew();
        await using TetherClient client = await TetherClient.StartAsync(new TetherClientOptions
        {
            ServerUrl = new Uri(server.Address, "/sync/"),
            UserId = "bench",
            TokenProvider = _ => ValueTask.FromResult("dev:bench"),
            Mutators = IssueTrackerMutators.All,
            Store = await SqliteLocalStore.OpenAsync(clientFile),
        });
        var bootstrapped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StatusChanged += (_, status) =>
        {
            if (status is ClientStatus.CatchingUp or ClientStatus.Live)
            {
                bootstrapped.TrySetResult();
            }
            else if (status == ClientStatus.Failed)
            {
                bootstrapped.TrySetException(client.Failure ?? new InvalidOperationException("The client failed."));
            }
        };
        if (client.Status is ClientStatus.CatchingUp or ClientStatus.Live)
        {
            bootstrapped.TrySetResult();
        }
        await bootstrapped.Task.WaitAsync(TimeSpan.FromMinutes(5));
        double seconds = clock.Elapsed.TotalSeconds;
        // Team, member, project and the issues.
        int total = rows + 3;
        if (client.ConfirmedSnapshot().Count != total)
        {
            throw new InvalidOperationException($"The client holds {client.ConfirmedSnapshot().Count} records, not {total}.");
        }
        return total / seconds;
    }
}
