using System.Text.Json;
using Tether.Client.Sqlite;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed class ReconnectStormTests
{
    [Fact]
    public async Task Three_clients_mutating_through_twenty_server_restarts_converge_on_the_servers_data_with_every_mutation_applied_once()
    {
        using var files = new TempDirectory();
        TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        var clients = new List<(string Name, TetherClient Client)>();
        try
        {
            using (SyncApi setup = server.Api("alice"))
            {
                var seed = new Seed(setup, "setup");
                await seed.TeamWithProjectAsync("t1", "p1");
                await seed.MemberAsync("t1", "bob");
            }
            clients.Add(("alice-mem", await ClientHarness.StartAsync(server, "alice")));
            clients.Add(("alice-disk", await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(Path.Combine(files.Path, "alice.db")))));
            clients.Add(("bob-disk", await ClientHarness.StartAsync(server, "bob", await SqliteLocalStore.OpenAsync(Path.Combine(files.Path, "bob.db")))));
            await ClientHarness.EventuallyAsync(() => clients.All(c => c.Client.Status == ClientStatus.Live && c.Client.ConfirmedSnapshot().ContainsKey(("project", "p1"))), "every client is live with the project");

            var titles = new List<string>();
            var handles = new List<MutationHandle>();
            async Task MutateAllAsync(int round, string what)
            {
                foreach ((string name, TetherClient client) in clients)
                {
                    string title = $"{name}-{round}-{what}";
                    handles.Add(what == "created"
                        ? await client.MutateAsync("createIssue", new { id = $"{name}-{round}", projectId = "p1", title })
                        : await client.MutateAsync("updateIssue", new { id = $"{name}-{round}", title }));
                    titles.Add(title);
                }
            }

            for (int round = 0; round < 20; round++)
            {
                await MutateAllAsync(round, "created");
                server = await server.RestartAsync(whileDown: () => MutateAllAsync(round, "renamed-while-down"));
                await MutateAllAsync(round, "renamed-after-restart");
                if (round % 2 == 1)
                {
                    // Every other round the clients must get through to the restarted server before the next stop.
                    await ClientHarness.EventuallyAsync(() => clients.All(c => c.Client.PendingCount == 0), $"round {round}'s mutations are confirmed");
                }
            }

            await Task.WhenAll(handles.Select(h => h.Confirmed)).WaitAsync(TimeSpan.FromSeconds(30));
            await ClientHarness.EventuallyAsync(() => clients.All(c => c.Client.PendingCount == 0), "every queue is empty");
            using SyncApi alice = server.Api("alice");
            using SyncApi bob = server.Api("bob");
            long head = await ServerTruth.HeadAsync(alice);
            await ClientHarness.EventuallyAsync(() => clients.All(c => c.Client.LastSyncId == head), "every client reaches the server's head");
            foreach ((string name, TetherClient client) in clients)
            {
                await ServerTruth.AssertConfirmedEqualsServerAsync(client, name.StartsWith("bob", StringComparison.Ordinal) ? bob : alice);
                Assert.Equal($"{name}-19-renamed-after-restart", client.Issue($"{name}-19")?.Title);
            }
            List<JsonElement> actions = await alice.AllActionsAsync();
            var byTitle = actions.Select(ServerTruth.Title).Where(t => t is not null).GroupBy(t => t!).ToDictionary(g => g.Key, g => g.Count());
            string[] notOnce = [.. titles.Where(t => byTitle.GetValueOrDefault(t) != 1).Select(t => $"{t} x{byTitle.GetValueOrDefault(t)}")];
            Assert.True(notOnce.Length == 0, "not in the server's log exactly once: " + string.Join(", ", notOnce));
        }
        finally
        {
            foreach ((_, TetherClient client) in clients)
            {
                await client.DisposeAsync();
            }
            await server.DisposeAsync();
        }
    }
}
