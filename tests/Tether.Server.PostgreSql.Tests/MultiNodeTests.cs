using System.Text.Json;
using IssueTracker;
using Npgsql;
using Tether.Client;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>Two Kestrel nodes on two ports sharing one PostgreSQL database.</summary>
public sealed class MultiNodeTests
{
    [Fact]
    public async Task Clients_on_different_nodes_converge_and_a_mutation_on_one_node_reaches_a_live_client_on_the_other()
    {
        await using TestServer nodeA = await Nodes.StartAsync();
        await using TestServer nodeB = await Nodes.JoinAsync(nodeA);
        await using TetherClient alice = await Clients.StartAsync(nodeA.BaseAddress, "alice");
        await using TetherClient bob = await Clients.StartAsync(nodeB.BaseAddress, "bob");
        await Clients.EventuallyAsync(() => alice.Status == ClientStatus.Live && bob.Status == ClientStatus.Live, "both are live");

        await (await alice.Mutate("createTeam", new { id = "t1", name = "Core" })).Confirmed;
        await (await alice.Mutate("addMember", new { teamId = "t1", userId = "bob" })).Confirmed;
        await (await alice.Mutate("createProject", new { id = "p1", teamId = "t1", name = "Sync" })).Confirmed;
        await Clients.EventuallyAsync(() => bob.Has("project", "p1"), "bob, on node B, gets the project committed on node A");
        await (await bob.Mutate("createIssue", new { id = "i1", projectId = "p1", title = "From B" })).Confirmed;

        await Clients.EventuallyAsync(() => alice.Has("issue", "i1"), "alice, on node A, gets the issue committed on node B");
        await Clients.EventuallyAsync(() => alice.LastSyncId == bob.LastSyncId, "both reach the same position");
        Assert.Equal(alice.Snapshot(), bob.Snapshot());
    }

    [Fact]
    public async Task Many_writers_on_two_nodes_and_every_reader_on_either_node_sees_exactly_the_log()
    {
        await using TestServer nodeA = await Nodes.StartAsync();
        await using TestServer nodeB = await Nodes.JoinAsync(nodeA);
        using SyncApi seedApi = nodeA.Api("alice");
        long start = await new Seed(seedApi, "seed").TeamWithProjectAsync("t1", "p1");
        await FanoutProbe.WaitForAsync(nodeA, start);
        await FanoutProbe.WaitForAsync(nodeB, start);
        await using LiveClient liveA = await LiveClient.ConnectAsync(nodeA, "alice");
        await using LiveClient liveB = await LiveClient.ConnectAsync(nodeB, "alice");
        await liveA.ExpectAsync("handshake");
        await liveB.ExpectAsync("handshake");
        using SyncApi readerB = nodeB.Api("alice");
        await using SseClient sseB = await SseClient.ConnectAsync(readerB, $"?from={start}");

        const int writersPerNode = 3, pushesPerWriter = 30;
        Task[] writers = [.. new[] { nodeA, nodeB }.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            using SyncApi api = node.Api("alice");
            for (int i = 1; i <= pushesPerWriter; i++)
            {
                await api.ApplyAsync($"writer-{n}-{w}", i, "createIssue", new { id = $"i-{n}-{w}-{i}", projectId = "p1", title = "Concurrent" });
            }
        })))];
        await Task.WhenAll(writers);

        List<JsonElement> log = await seedApi.AllActionsAsync(start);
        long head = log[^1].SyncId();
        long[] expected = [.. log.Select(a => a.SyncId())];
        Assert.Equal(2 * writersPerNode * pushesPerWriter, log.Count);
        Assert.Equal(expected.Order().Distinct(), expected);
        long[] onA = [.. (await liveA.ReadUntilAsync(head)).Where(f => f.Type() == "sync").SelectMany(f => f.Actions()).Select(a => a.SyncId())];
        long[] onB = [.. (await liveB.ReadUntilAsync(head)).Where(f => f.Type() == "sync").SelectMany(f => f.Actions()).Select(a => a.SyncId())];
        long[] sse = [.. (await sseB.ReadUntilAsync(head)).Where(e => e.Data.TryGetProperty("sync", out _)).SelectMany(e => e.Data.Actions()).Select(a => a.SyncId())];
        Assert.Equal(expected, onA);
        Assert.Equal(expected, onB);
        Assert.Equal(expected, sse);
    }

    [Fact]
    public async Task A_node_killed_during_activity_loses_nothing_its_clients_reconnect_through_the_balancer_to_the_other()
    {
        // Neither node owns the database here, so killing one leaves the data to the other.
        await using PostgresDatabase database = await PostgresDatabase.CreateAsync();
        var shared = new TestServerSettings { PostgresConnection = database.ConnectionString };
        TestServer? nodeA = await TestServer.StartAsync(shared);
        await using TestServer nodeB = await TestServer.StartAsync(shared);
        await using var balancer = new LoadBalancer(nodeA.BaseAddress.Port);
        var handles = new List<MutationHandle>();
        try
        {
            await using TetherClient alice = await Clients.StartAsync(balancer.Address, "alice");
            await using TetherClient observer = await Clients.StartAsync(nodeB.BaseAddress, "alice");
            await (await alice.Mutate("createTeam", new { id = "t1", name = "Core" })).Confirmed;
            await (await alice.Mutate("createProject", new { id = "p1", teamId = "t1", name = "Sync" })).Confirmed;

            for (int i = 0; i < 60; i++)
            {
                handles.Add(await alice.Mutate("createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }));
                if (i == 25 && nodeA is not null)
                {
                    // Node A dies mid-stream: its connections are cut and the balancer sends new ones to node B.
                    await nodeA.DisposeAsync();
                    nodeA = null;
                    balancer.FailOverTo(nodeB.BaseAddress.Port);
                }
                await Task.Delay(10);
            }

            await Task.WhenAll(handles.Select(h => h.Confirmed)).WaitAsync(Clients.Converge);
            using SyncApi api = nodeB.Api("alice");
            string[] issues = [.. (await api.AllActionsAsync()).Where(a => a.ModelName() == "issue").Select(a => a.ModelId())];
            Assert.Equal(60, issues.Length);
            Assert.Equal(60, issues.Distinct().Count());
            await Clients.EventuallyAsync(() => observer.LastSyncId == alice.LastSyncId && alice.PendingCount == 0, "both clients reach the same position");
            Assert.Equal(alice.Snapshot(), observer.Snapshot());
        }
        finally
        {
            if (nodeA is not null)
            {
                await nodeA.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Database_connections_dropped_during_activity_are_survived_with_nothing_lost_or_duplicated()
    {
        await using TestServer nodeA = await Nodes.StartAsync();
        await using TestServer nodeB = await Nodes.JoinAsync(nodeA);
        await using TetherClient alice = await Clients.StartAsync(nodeA.BaseAddress, "alice");
        await using TetherClient bob = await Clients.StartAsync(nodeB.BaseAddress, "alice");
        await (await alice.Mutate("createTeam", new { id = "t1", name = "Core" })).Confirmed;
        await (await alice.Mutate("createProject", new { id = "p1", teamId = "t1", name = "Sync" })).Confirmed;
        string database = new NpgsqlConnectionStringBuilder(nodeA.PostgresConnection).Database!;
        // Each client writes against its local copy, so bob must have the project before creating issues in it.
        await Clients.EventuallyAsync(() => bob.Has("project", "p1"), "bob has the project");

        var handles = new List<MutationHandle>();
        int dropped = 0;
        for (int i = 0; i < 40; i++)
        {
            handles.Add(await (i % 2 == 0 ? alice : bob).Mutate("createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }));
            if (i % 10 == 5)
            {
                // Every connection of both nodes to the database is killed, as a PostgreSQL restart would.
                dropped += await PostgresDatabase.TerminateConnectionsAsync(database);
            }
            await Task.Delay(15);
        }

        await Task.WhenAll(handles.Select(h => h.Confirmed)).WaitAsync(Clients.Converge);
        Assert.True(dropped > 0, "connections were dropped");
        using SyncApi api = nodeB.Api("alice");
        string[] issues = [.. (await api.AllActionsAsync()).Where(a => a.ModelName() == "issue").Select(a => a.ModelId())];
        Assert.Equal(40, issues.Length);
        Assert.Equal(40, issues.Distinct().Count());
        await Clients.EventuallyAsync(() => alice.LastSyncId == bob.LastSyncId && alice.PendingCount == 0 && bob.PendingCount == 0, "both clients reach the same position");
        Assert.Equal(alice.Snapshot(), bob.Snapshot());
    }
}
