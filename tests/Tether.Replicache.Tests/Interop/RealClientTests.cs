using System.Text.Json;
using System.Text.RegularExpressions;
using Tether.Client;
using Tether.Server.Tests.Harness;
using Tether.TestHost;

namespace Tether.Replicache.Tests.Interop;

/// <summary>The real replicache@15.3.0 client (Node, kvStore 'mem') against the C# server, next to .NET clients.</summary>
public sealed class RealClientTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_Replicache_clients_and_a_dotnet_client_mutating_concurrently_converge_and_another_team_sees_none_of_it()
    {
        ReplicacheNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        Uri url = new(server.BaseAddress.GetLeftPart(UriPartial.Authority));
        await using ReplicacheNodeClient alice = await ReplicacheNodeClient.StartAsync(url, "alice", "alice-app");
        await alice.MutateAsync("createTeam", new { id = "t1", name = "Core" });
        await alice.MutateAsync("addMember", new { teamId = "t1", userId = "bob" });
        await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "Sync" });
        await alice.SyncAsync(Converge);
        await using ReplicacheNodeClient bob = await ReplicacheNodeClient.StartAsync(url, "bob", "bob-app");
        await using ReplicacheNodeClient carol = await ReplicacheNodeClient.StartAsync(url, "carol", "carol-app");
        await using TetherClient dotnet = await TetherClient.StartAsync(new TetherClientOptions
        {
            ServerUrl = new Uri(server.BaseAddress, "/sync/"),
            UserId = "bob",
            TokenProvider = _ => ValueTask.FromResult("dev:bob"),
            Mutators = TestMutators.All,
        });
        await bob.SyncAsync(Converge);
        await WaitAsync(() => dotnet.Get("project", "p1", JsonContext.Default.JsonElement).ValueKind == JsonValueKind.Object, "the .NET client has the project");

        Task replicacheA = alice.MutateManyAsync("createIssue", Enumerable.Range(0, 30).Select(i => (object?)new { id = $"a{i}", projectId = "p1", title = $"Alice {i}" }));
        Task replicacheB = bob.MutateManyAsync("createIssue", Enumerable.Range(0, 30).Select(i => (object?)new { id = $"b{i}", projectId = "p1", title = $"Bob {i}" }));
        Task dotnetWrites = Task.WhenAll(await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
            (await dotnet.MutateAsync("createIssue", JsonSerializer.SerializeToElement(new { id = $"n{i}", projectId = "p1", title = $".NET {i}" }))).Confirmed)));
        await Task.WhenAll(replicacheA, replicacheB, dotnetWrites);
        await alice.SyncAsync(Converge);
        await bob.SyncAsync(Converge);
        await alice.SyncAsync(Converge);
        await carol.SyncAsync(Converge);

        string[] expected = [.. Enumerable.Range(0, 30).SelectMany(i => new[] { $"issue/a{i}", $"issue/b{i}", $"issue/n{i}" }).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, (await alice.ScanAsync("issue/")).Select(e => e.Key));
        Assert.Equal(expected, (await bob.ScanAsync("issue/")).Select(e => e.Key));
        await WaitAsync(() => expected.All(key => dotnet.Get("issue", key["issue/".Length..], JsonContext.Default.JsonElement).ValueKind == JsonValueKind.Object), "the .NET client has every issue");
        Assert.Empty(await carol.ScanAsync("issue/"));
        Assert.Empty(await carol.ScanAsync("team/t1"));
    }

    [Fact]
    public async Task A_client_offline_for_hundreds_of_mutations_catches_up_with_each_applied_exactly_once()
    {
        ReplicacheNodeClient.RequireHarness();
        TestServer server = await TestServer.StartAsync();
        try
        {
            Uri url = new(server.BaseAddress.GetLeftPart(UriPartial.Authority));
            await using ReplicacheNodeClient alice = await ReplicacheNodeClient.StartAsync(url, "alice", "alice-app");
            await alice.MutateAsync("createTeam", new { id = "t1", name = "Core" });
            await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "Sync" });
            await alice.SyncAsync(Converge);

            server = await server.RestartAsync(() => alice.MutateManyAsync("createIssue", Enumerable.Range(0, 300).Select(i => (object?)new { id = $"i{i:D3}", projectId = "p1", title = $"Offline {i}" })));
            // The pushes Replicache sent by itself while the server was down found nobody listening; nothing else failed.
            Regex refused = new($@"^push got no answer: TypeError: fetch failed \(caused by Error: connect ECONNREFUSED 127\.0\.0\.1:{url.Port}\)$");
            await alice.SyncAsync(Converge, [refused]);

            using SyncApi api = server.Api("alice");
            string[] created = [.. (await api.AllActionsAsync()).Where(a => a.GetProperty("modelName").GetString() == "issue").Select(a => a.GetProperty("modelId").GetString()!)];
            Assert.Equal(300, created.Length);
            Assert.Equal(300, created.Distinct().Count());
            Assert.Equal(300, (await alice.ScanAsync("issue/")).Count);
            Assert.Equal(0, await alice.PendingAsync());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_mutation_the_server_refuses_disappears_from_the_client()
    {
        ReplicacheNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        Uri url = new(server.BaseAddress.GetLeftPart(UriPartial.Authority));
        await using ReplicacheNodeClient alice = await ReplicacheNodeClient.StartAsync(url, "alice", "alice-app");
        await using ReplicacheNodeClient mallory = await ReplicacheNodeClient.StartAsync(url, "mallory", "mallory-app");
        await alice.MutateAsync("createTeam", new { id = "t1", name = "Core" });
        await alice.SyncAsync(Converge);

        // Mallory is not in team t1: locally the project appears, the server refuses it.
        await mallory.MutateAsync("createProject", new { id = "intruder", teamId = "t1", name = "Not yours" });
        Assert.Single(await mallory.ScanAsync("project/"));
        await mallory.SyncAsync(Converge);

        Assert.Empty(await mallory.ScanAsync("project/"));
        await alice.SyncAsync(Converge);
        Assert.Empty(await alice.ScanAsync("project/"));
    }

    private static Task WaitAsync(Func<bool> condition, string what) => Eventually.HoldsAsync(condition, what, Converge);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonElement))]
internal sealed partial class JsonContext : System.Text.Json.Serialization.JsonSerializerContext;
