using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tether.Protocol;
using Tether.Server.Extensibility;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>A node whose pipeline holds several write transactions at once (<see cref="PostgreSqlStoreOptions.Writers"/>)
/// on the real PostgreSQL store, through real Kestrel: many clients pushing at the same time all get their answers,
/// each client's mutations keep their order, and the log has every mutation once, without a gap.</summary>
public sealed class ConcurrentWritersTests
{
    [Fact]
    public async Task Thirty_two_clients_pushing_at_once_through_four_writers_are_all_answered_in_order_and_logged_once_without_gaps()
    {
        const int users = 8, clientsPerUser = 4, pushesPerClient = 8, mutationsPerPush = 3;
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = true,
            Configuration = new Dictionary<string, string?> { ["writers"] = "4" },
            // A push runs in two slices, so a client's mutations also cross commits (and writers).
            Tether = options =>
            {
                options.Limits.RequestsPerSecond = 0;
                options.Limits.MaxMutationsPerUserPerCommit = 2;
            },
        });
        Assert.Equal(4, server.Store.Writers);

        var answers = new List<(string ClientId, long MutationId, string Team, long LastSyncId)>();
        Task[] clients = [.. Enumerable.Range(0, users * clientsPerUser).Select(c => Task.Run(async () =>
        {
            using SyncApi api = server.Api($"user{c % users}");
            string clientId = $"client{c}";
            for (int p = 0; p < pushesPerClient; p++)
            {
                long first = p * mutationsPerPush + 1;
                JsonElement answer = await api.PushAsync(clientId, [.. Enumerable.Range(0, mutationsPerPush).Select(i => M(first + i, "createTeam", new { id = $"t-{c}-{first + i}", name = "Team" }))]);
                JsonElement[] results = [.. answer.GetProperty("results").EnumerateArray()];
                Assert.Equal(mutationsPerPush, results.Length);
                Assert.Equal(first + mutationsPerPush - 1, answer.GetProperty("lastMutationId").GetInt64());
                lock (answers)
                {
                    for (int i = 0; i < results.Length; i++)
                    {
                        Assert.Equal("applied", results[i].GetProperty("status").GetString());
                        answers.Add((clientId, first + i, $"t-{c}-{first + i}", results[i].GetProperty("lastSyncId").GetInt64()));
                    }
                }
            }
        }))];
        await Task.WhenAll(clients);

        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(0, snapshot.Head, 100_000, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, (int)snapshot.Head).Select(i => (long)i), log.Select(entry => entry.SyncId));
        LogEntry[] teams = [.. log.Where(entry => entry.ModelName == "team")];
        int mutations = users * clientsPerUser * pushesPerClient * mutationsPerPush;
        Assert.Equal(mutations, teams.Length);
        Assert.Equal(mutations, teams.Select(entry => entry.ModelId).Distinct().Count());
        foreach (IGrouping<string?, LogEntry> client in teams.GroupBy(entry => entry.ClientId))
        {
            Assert.Equal(Enumerable.Range(1, pushesPerClient * mutationsPerPush).Select(i => (long?)i), client.Select(entry => entry.MutationId));
        }
        // Each answer bounds its mutation's actions, as a client's release rule needs.
        Dictionary<string, long> teamSyncIds = teams.ToDictionary(entry => entry.ModelId, entry => entry.SyncId);
        Assert.Equal(mutations, answers.Count);
        Assert.All(answers, answer => Assert.True(answer.LastSyncId >= teamSyncIds[answer.Team], $"{answer.ClientId} #{answer.MutationId} answered {answer.LastSyncId}, below its action {teamSyncIds[answer.Team]}"));
    }

    [Fact]
    public async Task Pushes_a_client_queues_back_to_back_run_in_their_order_while_four_writers_take_batches()
    {
        const int clients = 16, pushesPerClient = 6, mutationsPerPush = 3;
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = true,
            Configuration = new Dictionary<string, string?> { ["writers"] = "4" },
            // The first slice of a push leaves its last mutation queued behind it, before the client's next push.
            Tether = options => options.Limits.MaxMutationsPerUserPerCommit = 2,
        });
        ITetherWriter writer = server.Services.GetRequiredService<ITetherWriter>();

        // All queued at once, in each client's order: nothing waits for an answer before the next push is queued.
        List<Task<WriteOutcome<PushResult>>> pushes = [];
        for (int p = 0; p < pushesPerClient; p++)
        {
            for (int c = 0; c < clients; c++)
            {
                long first = p * mutationsPerPush + 1;
                pushes.Add(writer.PushAsync($"user{c}", new PushRequest($"client{c}", [.. Enumerable.Range(0, mutationsPerPush).Select(i =>
                    new Mutation(first + i, "createTeam", JsonSerializer.SerializeToElement(new { id = $"t-{c}-{first + i}", name = "Team" })))])));
            }
        }
        WriteOutcome<PushResult>[] outcomes = await Task.WhenAll(pushes);

        Assert.All(outcomes, outcome => Assert.All(outcome.Value!.Results, result => Assert.Equal(MutationStatus.Applied, result.Status)));
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(0, snapshot.Head, 100_000, CancellationToken.None);
        foreach (IGrouping<string?, LogEntry> client in log.Where(entry => entry.ModelName == "team").GroupBy(entry => entry.ClientId))
        {
            Assert.Equal(Enumerable.Range(1, pushesPerClient * mutationsPerPush).Select(i => (long?)i), client.Select(entry => entry.MutationId));
        }
        Assert.Equal(clients * pushesPerClient * mutationsPerPush, log.Count(entry => entry.ModelName == "team"));
    }
}
