using System.Net;
using System.Text;
using System.Text.Json;
using Tether.Robustness.Tests.Fuzz;
using Tether.Robustness.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests;

/// <summary>
/// SIGKILL of a real server process while several clients write, twice per run, at random points of the run
/// (seeded), the server started again on the same SQLite file each time while the clients retry their unanswered
/// batches with the same ids. Three runs in CI; <c>TETHER_CRASH_RUNS</c> for more.
/// </summary>
public sealed class CrashTests
{
    private const int Clients = 4;
    private const int IssuesPerClient = 100;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Kill_9_during_writes_loses_no_acknowledged_mutation_and_applies_none_twice()
    {
        int runs = FuzzSettings.Read("TETHER_CRASH_RUNS") ?? 3;
        for (int run = 0; run < runs; run++)
        {
            await RunOnceAsync(FuzzSettings.Seed(4100 + run));
        }
    }

    private static async Task RunOnceAsync(int seed)
    {
        using var directory = new TempDirectory();
        await using ServerProcess server = await ServerProcess.StartAsync(Path.Combine(directory.Path, "tether.db"));
        var random = new Random(seed);
        var clients = Enumerable.Range(0, Clients).Select(k => new CrashClient(server.BaseAddress, k, IssuesPerClient, new Random(seed * 31 + k))).ToList();
        int total = clients.Sum(c => c.Total);
        // Two kills, each once a random share of all mutations was answered: both land in the middle of the writes.
        int[] killAt = [random.Next(total / 10, total * 4 / 10), random.Next(total / 2, total * 8 / 10)];
        int answered = 0;
        Task pushing = Task.WhenAll(clients.Select(c => c.RunAsync(count => Interlocked.Add(ref answered, count))));
        foreach (int threshold in killAt)
        {
            await Eventually.HoldsAsync(() => Volatile.Read(ref answered) >= threshold, $"{threshold} mutations were answered (seed {seed})", RunTimeout);
            await server.KillAsync();
            await server.StartAsync();
        }
        await pushing.WaitAsync(RunTimeout);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"seed {seed}: killed after {killAt[0]} and {killAt[1]} of {total} mutations were answered; {clients.Sum(c => c.Retries)} batches retried");

        foreach (CrashClient client in clients)
        {
            await CheckAsync(client, seed, server);
        }
    }

    /// <summary>Every mutation was answered applied (or duplicate, for a retry of one whose answer was lost), and
    /// each record is in the data and in the log exactly once.</summary>
    private static async Task CheckAsync(CrashClient client, int seed, ServerProcess server)
    {
        string run = $"seed {seed}, {client.ClientId}";
        Assert.True(client.Problems.Count == 0, $"{run}: {string.Join('\n', client.Problems)}\n{server.Output}");
        for (long id = 1; id <= client.Total; id++)
        {
            Assert.True(client.Answers.TryGetValue(id, out string? status) && status is "applied" or "duplicate",
                $"{run}: mutation {id} was answered '{client.Answers.GetValueOrDefault(id)}'");
        }
        using HttpClient http = client.Http();
        string[] expected = [.. Enumerable.Range(3, client.Issues).Select(id => client.IssueId(id))];

        using var content = new StringContent("""{"type":"eager","models":["issue"]}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage bootstrap = await http.PostAsync("/sync/bootstrap", content);
        BootstrapResult data = BootstrapResult.Parse(await bootstrap.Content.ReadAsStringAsync());
        Assert.Equal(expected.Order(StringComparer.Ordinal), data.Rows.Keys.Select(k => k.Id).Order(StringComparer.Ordinal));

        var inserts = new Dictionary<string, int>(StringComparer.Ordinal);
        long from = 0;
        while (true)
        {
            using HttpResponseMessage delta = await http.GetAsync($"/sync/delta?from={from}");
            Assert.Equal(HttpStatusCode.OK, delta.StatusCode);
            JsonElement page = JsonDocument.Parse(await delta.Content.ReadAsStringAsync()).RootElement;
            foreach (JsonElement action in page.GetProperty("sync").EnumerateArray())
            {
                if (action.GetProperty("modelName").GetString() == "issue" && action.GetProperty("action").GetString() == "insert")
                {
                    string id = action.GetProperty("modelId").GetString()!;
                    inserts[id] = inserts.GetValueOrDefault(id) + 1;
                }
            }
            from = page.GetProperty("lastSyncId").GetInt64();
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                break;
            }
        }
        Assert.Equal(expected.Order(StringComparer.Ordinal), inserts.Keys.Order(StringComparer.Ordinal));
        Assert.All(inserts, insert => Assert.True(insert.Value == 1, $"{run}: {insert.Key} was inserted {insert.Value} times"));
    }
}
