using System.Text.Json;
using Tether.Client.Sqlite;
using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed class ClientSyncTests
{
    [Fact]
    public async Task A_mutation_shows_at_once_and_confirms_when_the_confirmed_data_includes_it()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live");

        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed;
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;
        MutationHandle created = await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "First" });

        Assert.Equal("First", alice.Issue("i1")?.Title);
        long syncId = await created.Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(alice.LastSyncId >= syncId);
        Assert.True(alice.ConfirmedSnapshot().ContainsKey(("issue", "i1")));
        Assert.Equal(0, alice.PendingCount);
    }

    [Fact]
    public async Task Two_clients_of_a_team_converge_on_each_others_edits()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed;
        await (await alice.MutateAsync("addMember", new { teamId = "t1", userId = "bob" })).Confirmed;
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;
        await using TetherClient bob = await ClientHarness.StartAsync(server, "bob");

        await (await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "From alice" })).Confirmed;
        await ClientHarness.EventuallyAsync(() => bob.Issue("i1") is not null, "bob sees alice's issue");
        // Concurrent edits of different fields of one record both survive (field-level, server commit order).
        Task<MutationHandle> title = bob.MutateAsync("updateIssue", new { id = "i1", title = "Retitled by bob" });
        Task<MutationHandle> status = alice.MutateAsync("updateIssue", new { id = "i1", status = "doing" });
        await (await title).Confirmed;
        await (await status).Confirmed;

        await ClientHarness.EventuallyAsync(
            () => alice.Issue("i1") is { Title: "Retitled by bob", Status: "doing" } && bob.Issue("i1") is { Title: "Retitled by bob", Status: "doing" },
            "both clients show both edits");
        Assert.Equal(alice.ConfirmedSnapshot()[("issue", "i1")].GetRawText(), bob.ConfirmedSnapshot()[("issue", "i1")].GetRawText());
    }

    [Fact]
    public async Task A_mutation_the_server_refuses_disappears_later_ones_stay_and_the_app_is_told()
    {
        var gate = new GateMutator();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = tether => Tether.Server.TetherServerBuilderExtensions.AddMutators(tether, [new ServerRefusesMutator(), gate]),
        });
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed;
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;
        var rejections = new List<MutationRejectedEventArgs>();
        alice.MutationRejected += (_, e) => rejections.Add(e);
        // The writer is held while the optimistic view is checked, so the refusal cannot arrive before it.
        using SyncApi carol = server.Api("carol");
        Task<JsonElement> held = carol.PushAsync("carol-gate", SyncApi.M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;

        MutationHandle doomed = await alice.MutateAsync(ServerRefusesMutator.MutatorName, new { id = "doomed" });
        MutationHandle kept = await alice.MutateAsync("createIssue", new { id = "i2", projectId = "p1", title = "Kept" });
        Assert.NotNull(alice.Issue("doomed"));
        gate.Open();
        await held;

        var refused = await Assert.ThrowsAsync<MutationRejectedException>(() => doomed.Confirmed.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("forbidden", refused.Code);
        await kept.Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Null(alice.Issue("doomed"));
        Assert.Equal("Kept", alice.Issue("i2")?.Title);
        Assert.Equal(doomed.Id, Assert.Single(rejections).MutationId);
    }

    [Fact]
    public async Task Offline_edits_show_at_once_survive_a_client_restart_and_reach_the_server_exactly_once()
    {
        using var files = new TempDirectory();
        string clientFile = Path.Combine(files.Path, "client.db");
        TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        TetherClient alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(clientFile));
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed;
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;

        server = await server.RestartAsync(whileDown: async () =>
        {
            await alice.MutateAsync("createIssue", new { id = "offline-1", projectId = "p1", title = "Written offline" });
            await alice.MutateAsync("updateIssue", new { id = "offline-1", status = "doing" });
            Assert.Equal("doing", alice.Issue("offline-1")?.Status);
            await alice.DisposeAsync();

            // A new process: the queue is still there, and shown again before any server answers.
            alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(clientFile));
            Assert.Equal(2, alice.PendingCount);
            Assert.Equal("doing", alice.Issue("offline-1")?.Status);
        });
        await using (server)
        await using (alice)
        {
            await ClientHarness.EventuallyAsync(() => alice.PendingCount == 0, "the offline mutations are confirmed");
            using SyncApi api = server.Api("alice");
            List<JsonElement> actions = await api.AllActionsAsync();
            Assert.Single(actions, a => a.GetProperty("action").GetString() == "insert" && a.GetProperty("modelId").GetString() == "offline-1");
            Assert.Single(actions, a => a.GetProperty("action").GetString() == "update" && a.GetProperty("modelId").GetString() == "offline-1");
            Assert.Equal("doing", alice.Issue("offline-1")?.Status);
        }
    }

    [Fact]
    public async Task A_live_query_follows_local_mutations_at_once()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed;
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;
        using ILiveQuery<Issue> todo = alice.Query("issue", TestJson.Default.Issue).Where(i => i.Status == "todo").OrderBy(i => i.Title);

        await alice.MutateAsync("createIssue", new { id = "b", projectId = "p1", title = "B" });
        await alice.MutateAsync("createIssue", new { id = "a", projectId = "p1", title = "A" });
        Assert.Equal(["A", "B"], todo.Current.Select(i => i.Title));

        await alice.MutateAsync("updateIssue", new { id = "a", status = "done" });
        Assert.Equal(["B"], todo.Current.Select(i => i.Title));
    }

    private static int Count(List<int> results)
    {
        lock (results)
        {
            return results.Count;
        }
    }

    [Fact]
    public async Task A_frame_of_many_actions_notifies_a_live_query_once()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");
        await new Seed(api, "setup").TeamWithProjectAsync("t1", "p1");
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live && alice.Query("project", TestJson.Default.Issue).Current.Count == 1, "alice is live with the project");
        using ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        var results = new List<int>();
        issues.Changed += (_, _) =>
        {
            lock (results)
            {
                results.Add(issues.Current.Count);
            }
        };

        // Fifty mutations in one push: one commit, one sync frame.
        await api.PushAsync("bulk", [.. Enumerable.Range(1, 50).Select(i => SyncApi.M(i, "createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }))]);

        // Current changes before Changed is raised: wait for the notification too, not only for the data.
        await ClientHarness.EventuallyAsync(() => issues.Current.Count == 50 && Count(results) > 0, "all fifty issues arrive and are notified");
        lock (results)
        {
            Assert.Equal([50], results);
        }
    }
}
