using System.Diagnostics;
using System.Net.Http.Headers;
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
        await IssueSeeding.SeedAsync(http, rows);

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
        int total = IssueSeeding.RecordCount(rows);
        if (client.ConfirmedSnapshot().Count != total)
        {
            throw new InvalidOperationException($"The client holds {client.ConfirmedSnapshot().Count} records, not {total}.");
        }
        return total / seconds;
    }
}
