using System.Text.Json;
using Tether.Client.Sqlite;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>A client process dies at the worst moments; a new process on the same SQLite file carries on without
/// losing or doubling anything.</summary>
public sealed class CrashSafetyTests
{
    [Fact]
    public async Task A_mutation_persisted_by_a_process_that_died_before_sending_it_is_shown_after_restart_and_reaches_the_server_exactly_once()
    {
        using var files = new TempDirectory();
        string file = Path.Combine(files.Path, "client.db");
        TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        try
        {
            bool crash = false;
            TetherClient alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o => o.FaultPoint = point =>
            {
                if (Volatile.Read(ref crash) && point == "after-persist-before-send")
                {
                    throw new SimulatedCrashException(point);
                }
            });
            await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
            await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

            Volatile.Write(ref crash, true);
            await Assert.ThrowsAsync<SimulatedCrashException>(() => alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Kept by a dying process" }));
            await alice.DisposeAsync();

            LocalSnapshot stored = await ServerTruth.ReadFileAsync(file);
            PendingMutation kept = Assert.Single(stored.Pending);
            Assert.Equal("createIssue", kept.Name);

            // The new process starts while the server is down, so what it shows comes from the file alone.
            server = await server.RestartAsync(whileDown: async () =>
            {
                alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file));
                Assert.Equal(1, alice.PendingCount);
                Assert.Equal("Kept by a dying process", alice.Issue("i1")?.Title);
                Assert.False(alice.ConfirmedSnapshot().ContainsKey(("issue", "i1")));
            });
            await using (alice)
            {
                using SyncApi api = server.Api("alice");
                await ClientHarness.EventuallyAsync(() => alice.PendingCount == 0 && alice.ConfirmedSnapshot().ContainsKey(("issue", "i1")), "the kept mutation is confirmed");
                List<JsonElement> actions = await api.AllActionsAsync();
                Assert.Single(actions, a => ServerTruth.ModelId(a) == "i1");
                Assert.Equal("Kept by a dying process", alice.Issue("i1")?.Title);
                long head = await ServerTruth.HeadAsync(api);
                await ClientHarness.EventuallyAsync(() => alice.LastSyncId == head, "alice reaches the server's head");
                await ServerTruth.AssertConfirmedEqualsServerAsync(alice, api);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("store before-commit")]
    [InlineData("client after-receive-before-apply")]
    public async Task A_process_that_died_while_applying_a_sync_frame_gets_the_change_by_delta_after_restart_exactly_once(string where)
    {
        using var files = new TempDirectory();
        string file = Path.Combine(files.Path, "client.db");
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");
        var laptop = new Seed(api, "laptop");
        await laptop.TeamWithProjectAsync("t1", "p1");
        await laptop.IssueAsync("before", "p1");

        var store = new CrashBeforeCommitStore(await SqliteLocalStore.OpenAsync(file));
        bool armed = false;
        TetherClient alice = await ClientHarness.StartAsync(server, "alice", store, o => o.FaultPoint = point =>
        {
            if (point == "after-receive-before-apply" && Interlocked.Exchange(ref armed, false))
            {
                throw new SimulatedCrashException(point);
            }
        });
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live && alice.Issue("before") is not null, "alice is live with the first issue");
        long positionBefore = alice.LastSyncId;
        // Only the write (or the frame) that carries the other device's change dies.
        if (where.StartsWith("store", StringComparison.Ordinal))
        {
            store.CrashWhen = w => w.Records.Any(r => r.Id == "from-laptop");
        }
        else
        {
            Volatile.Write(ref armed, true);
        }

        long created = await laptop.IssueAsync("from-laptop", "p1", "Made elsewhere");

        await ClientHarness.EventuallyAsync(() => alice.Status is ClientStatus.Failed or ClientStatus.Offline, "alice's sync loop dies");
        Assert.IsType<SimulatedCrashException>(alice.Failure);
        Assert.Null(alice.Issue("from-laptop"));
        await alice.DisposeAsync();

        LocalSnapshot stored = await ServerTruth.ReadFileAsync(file);
        Assert.DoesNotContain(stored.Records, r => r.Id == "from-laptop");
        Assert.Equal(positionBefore, stored.Metadata.LastSyncId);
        Assert.True(stored.Metadata.LastSyncId < created);
        long firstSyncId = stored.Metadata.FirstSyncId;

        alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file));
        await using (alice)
        {
            long head = await ServerTruth.HeadAsync(api);
            await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live && alice.LastSyncId == head, "alice catches up to the server's head");
            Assert.Equal("Made elsewhere", alice.Issue("from-laptop")?.Title);
            Assert.Equal(0, alice.PendingCount);
            await ServerTruth.AssertConfirmedEqualsServerAsync(alice, api);
            Assert.Single(await api.AllActionsAsync(), a => ServerTruth.ModelId(a) == "from-laptop");
        }
        // It came by delta: the file was not bootstrapped again.
        Assert.Equal(firstSyncId, (await ServerTruth.ReadFileAsync(file)).Metadata.FirstSyncId);
    }

    [Fact]
    public async Task A_mutation_whose_answer_was_lost_with_the_process_is_sent_again_after_restart_answered_duplicate_and_applied_once()
    {
        using var files = new TempDirectory();
        string file = Path.Combine(files.Path, "client.db");
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");

        using var dying = new PushInterceptor();
        TetherClient alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o => o.HttpHandler = dying);
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "Team" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        dying.SwallowNextAnswer = true;
        MutationHandle lost = await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Answer lost" });
        JsonElement answer = await dying.Swallowed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("applied", answer.GetProperty("results")[0].GetProperty("status").GetString());
        await alice.DisposeAsync();
        Assert.Contains((await ServerTruth.ReadFileAsync(file)).Pending, p => p.Id == lost.Id);

        using var restarted = new PushInterceptor();
        alice = await ClientHarness.StartAsync(server, "alice", await SqliteLocalStore.OpenAsync(file), o => o.HttpHandler = restarted);
        await using (alice)
        {
            await ClientHarness.EventuallyAsync(() => alice.PendingCount == 0, "the re-sent mutation leaves the queue");
            Assert.Equal(["duplicate"], restarted.StatusesOf(lost.Id));
            Assert.Single(await api.AllActionsAsync(), a => ServerTruth.ModelId(a) == "i1");
            Assert.Equal("Answer lost", alice.Issue("i1")?.Title);
            long head = await ServerTruth.HeadAsync(api);
            await ClientHarness.EventuallyAsync(() => alice.LastSyncId == head, "alice reaches the server's head");
            await ServerTruth.AssertConfirmedEqualsServerAsync(alice, api);
        }
    }
}
