using System.Collections.Concurrent;
using System.Text.Json;
using Tether.Client.Internal;
using Tether.Client.Sqlite;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed class SchemaVersionTests
{
    private static TestServerSettings SupportsOneAndTwo => ClientHarness.ServerSettings with { Tether = o => o.SupportedSchema = new(1, 2) };

    [Fact]
    public async Task A_client_restarted_with_a_newer_supported_schema_bootstraps_again_and_keeps_and_delivers_its_pending_mutations()
    {
        using var files = new TempDirectory();
        string file = Path.Combine(files.Path, "client.db");
        TestServer server = await TestServer.StartAsync(SupportsOneAndTwo);
        TetherClient? alice = null;
        // Another device of alice's, through the server's HTTP API (same port across restarts).
        using SyncApi laptopApi = server.Api("alice");
        try
        {
            var laptop = new Seed(laptopApi, "laptop");
            await laptop.TeamWithProjectAsync("t1", "p1");
            await laptop.IssueAsync("old", "p1", "Old title");
            alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file));
            await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live && alice.Issue("old") is not null, "the v1 client is live with the data");

            server = await server.RestartAsync(whileDown: async () =>
            {
                await alice.MutateAsync("createIssue", new { id = "pending-1", projectId = "p1", title = "Written before the upgrade" });
                await alice.MutateAsync("updateIssue", new { id = "old", title = "Renamed before the upgrade" });
                await alice.DisposeAsync();
            });
            LocalSnapshot v1 = await ServerTruth.ReadFileAsync(file);
            Assert.Equal(1, v1.Metadata.SchemaVersion);
            Assert.Equal(2, v1.Pending.Count);
            // The server moves on while the app is being upgraded.
            long moved = await laptop.IssueAsync("while-upgrading", "p1", "Made during the upgrade");
            Assert.True(moved > v1.Metadata.FirstSyncId);

            var statuses = new ConcurrentQueue<ClientStatus>();
            server = await server.RestartAsync(whileDown: async () =>
            {
                alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o => o.SchemaVersion = 2);
                alice.StatusChanged += (_, s) => statuses.Enqueue(s);
                Assert.Equal(2, alice.PendingCount);
                Assert.Equal("Renamed before the upgrade", alice.Issue("old")?.Title);
                Assert.Equal("Written before the upgrade", alice.Issue("pending-1")?.Title);
            });

            using SyncApi api = server.Api("alice");
            await ClientHarness.EventuallyAsync(() => alice.PendingCount == 0 && alice.Status == ClientStatus.Live, "the v2 client delivered its pending mutations");
            long head = await ServerTruth.HeadAsync(api);
            await ClientHarness.EventuallyAsync(() => alice.LastSyncId == head, "the v2 client reaches the server's head");
            Assert.Contains(ClientStatus.Bootstrapping, statuses);
            await ServerTruth.AssertConfirmedEqualsServerAsync(alice, api);
            Assert.Equal("Made during the upgrade", alice.Issue("while-upgrading")?.Title);
            Assert.Equal("Renamed before the upgrade", alice.Issue("old")?.Title);
            List<JsonElement> actions = await api.AllActionsAsync();
            Assert.Single(actions, a => ServerTruth.Kind(a) == "insert" && ServerTruth.ModelId(a) == "pending-1");
            Assert.Single(actions, a => ServerTruth.Title(a) == "Renamed before the upgrade");

            await alice.DisposeAsync();
            alice = null;
            LocalSnapshot v2 = await ServerTruth.ReadFileAsync(file);
            Assert.Equal(2, v2.Metadata.SchemaVersion);
            // Bootstrapped again: its position is the new snapshot's, which already had the upgrade-time change.
            Assert.True(v2.Metadata.FirstSyncId >= moved, $"firstSyncId {v2.Metadata.FirstSyncId} did not move past {moved}");
            Assert.Empty(v2.Pending);
        }
        finally
        {
            if (alice is not null)
            {
                await alice.DisposeAsync();
            }
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_with_a_schema_the_server_does_not_support_fails_with_schema_mismatch()
    {
        await using TestServer server = await TestServer.StartAsync(SupportsOneAndTwo);
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o => o.SchemaVersion = 3);
        MutationHandle pending = await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" });

        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Failed, "the client gives up");
        ServerErrorException failure = Assert.IsType<ServerErrorException>(alice.Failure);
        Assert.Equal(Tether.Protocol.ErrorCodes.SchemaMismatch, failure.Error.Code);
        // Nothing reached the server, and the mutation stays queued for a client that can send it.
        Assert.False(pending.Confirmed.IsCompleted);
        Assert.Equal(1, alice.PendingCount);
        using SyncApi api = server.Api("alice");
        Assert.Empty(await api.AllActionsAsync());
    }
}
