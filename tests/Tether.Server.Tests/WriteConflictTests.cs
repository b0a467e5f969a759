using System.Net;
using System.Text.Json;
using Tether.Mutators;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>A store with concurrent writers makes a transaction that loses to another one fail with
/// <see cref="WriteConflictException"/>, nothing of it written. The writer runs it again, a push at a time and then a
/// mutation at a time, so a conflict costs no push its mutations, and one that never stops costs only its own push a
/// 503. The real SQLite store behind <see cref="InterposedStore"/> loses the conflicts the test picks.</summary>
public sealed class WriteConflictTests
{
    private static async Task<(TestServer Server, InterposedStore Store)> StartAsync(Action<ITetherServerBuilder>? more = null, int writers = 2, int maxMutationsPerCommit = 2_000)
    {
        TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = options =>
            {
                options.Limits.RequestsPerSecond = 0;
                options.MaxMutationsPerCommit = maxMutationsPerCommit;
            },
            Builder = tether =>
            {
                more?.Invoke(tether);
                InterposedStore.Install(tether, writers);
            },
        });
        return (server, (InterposedStore)server.Store);
    }

    private static bool Writes(WriteBatch batch, string modelId) => batch.Actions.Any(action => action.ModelId == modelId);

    private static async Task<string[]> TeamIdsInTheLogAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(0, snapshot.Head, 10_000, CancellationToken.None);
        return [.. log.Where(entry => entry.ModelName == "team").Select(entry => entry.ModelId)];
    }

    [Fact]
    public async Task A_push_whose_commit_loses_three_conflicts_is_run_again_and_applied_exactly_once()
    {
        (TestServer server, InterposedStore store) = await StartAsync();
        await using TestServer _ = server;
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        int lost = 0;
        store.Conflicts = batch => Writes(batch, "t1") && Interlocked.Increment(ref lost) <= 3;

        long lastSyncId = await alice.ApplyAsync("alice-1", 1, "createTeam", new { id = "t1", name = "Core" });

        Assert.Equal(4, lost);
        Assert.Equal(3, meters.Sum("tether.server.commit.conflicts"));
        Assert.Equal(["t1"], await TeamIdsInTheLogAsync(server));
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        Assert.Equal(snapshot.Head, lastSyncId);
    }

    [Fact]
    public async Task A_push_that_always_conflicts_is_answered_503_and_the_other_pushes_of_its_batch_are_applied()
    {
        var gate = new GateMutator();
        (TestServer server, InterposedStore store) = await StartAsync(tether => tether.AddMutators([gate]));
        await using TestServer _ = server;
        using var meters = new ServerMeters(server);
        using SyncApi carol = server.Api("carol");
        using SyncApi dave = server.Api("dave");
        store.Conflicts = batch => Writes(batch, "poisoned");

        // Both writers busy (carol's inside the gate, dave's waiting for SQLite's one write lock), so the five pushes
        // below wait together and are taken as one batch.
        Task<JsonElement> heldCarol = carol.PushAsync("carol-gate", M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;
        Task<JsonElement> heldDave = dave.PushAsync("dave-gate", M(1, GateMutator.MutatorName, new { }));
        await meters.WaitUntilAsync(m => m.Count("tether.server.queue.wait") == 2, "the second writer took dave's push");
        using SyncApi u1 = server.Api("u1"), u2 = server.Api("u2"), u3 = server.Api("u3"), u4 = server.Api("u4");
        SyncApi[] apis = [u1, u2, u3, u4];
        Task<HttpResponseMessage> poisoned = apis[0].PushRawAsync("u1-a", M(1, "createTeam", new { id = "poisoned", name = "Never" }));
        Task<long>[] others = [.. apis.Select((api, i) => api.ApplyAsync($"{api.UserId}-b", 1, "createTeam", new { id = "t" + i, name = "Fine" }))];
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 5, "the five pushes wait together");
        gate.Open();
        await Task.WhenAll(heldCarol, heldDave);

        using HttpResponseMessage refused = await poisoned;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        await Errors.ReadAsync(refused, "unavailable");
        await Task.WhenAll(others);
        Assert.Equal(["t0", "t1", "t2", "t3"], (await TeamIdsInTheLogAsync(server)).Order(StringComparer.Ordinal));
        // The batch once, then the poisoned push alone until its attempts ran out.
        Assert.Equal(1 + 5, meters.Sum("tether.server.commit.conflicts"));
    }

    [Fact]
    public async Task After_a_conflict_the_writer_takes_half_as_many_mutations_into_its_next_batch()
    {
        var turnstile = new Turnstile();
        (TestServer server, InterposedStore store) = await StartAsync(tether => tether.AddMutators([turnstile]), writers: 1, maxMutationsPerCommit: 8);
        await using TestServer _ = server;
        using SyncApi carol = server.Api("carol");
        var committedSizes = new List<int>();
        bool conflictOnce = true;
        store.Conflicts = batch =>
        {
            if (batch.Clients.Count == 8 && conflictOnce)
            {
                conflictOnce = false;
                return true;
            }
            committedSizes.Add(batch.Clients.Count);
            return false;
        };

        // Twice: eight pushes of eight users wait together behind carol's push, which holds the writer.
        for (int round = 1; round <= 2; round++)
        {
            Task<JsonElement> held = carol.PushAsync("carol-1", M(round, Turnstile.MutatorName, new { }));
            await turnstile.EnteredAsync();
            using SyncApi u1 = server.Api("u1"), u2 = server.Api("u2"), u3 = server.Api("u3"), u4 = server.Api("u4"),
                u5 = server.Api("u5"), u6 = server.Api("u6"), u7 = server.Api("u7"), u8 = server.Api("u8");
            SyncApi[] users = [u1, u2, u3, u4, u5, u6, u7, u8];
            Task<long>[] pushes = [.. users.Select(api => api.ApplyAsync(api.UserId + "-1", round, "createTeam", new { id = $"t-{api.UserId}-{round}", name = "T" }))];
            await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 8, "the eight pushes wait together");
            committedSizes.Clear();
            turnstile.Pass();
            await held;
            await Task.WhenAll(pushes);
            if (round == 1)
            {
                // The eight lost once as a batch, then went alone.
                Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1], committedSizes.Skip(1));
            }
        }

        // The conflict halved the batch size to 4; carol's clean commit grew it to 5, the next to 6.
        Assert.Equal([1, 5, 3], committedSizes);
    }

    [Fact]
    public async Task A_push_whose_second_mutation_always_conflicts_keeps_its_first_and_its_retry_applies_the_rest()
    {
        (TestServer server, InterposedStore store) = await StartAsync();
        await using TestServer _ = server;
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        bool poisoned = true;
        store.Conflicts = batch => Volatile.Read(ref poisoned) && Writes(batch, "t2");
        var push = new[]
        {
            M(1, "createTeam", new { id = "t1", name = "One" }),
            M(2, "createTeam", new { id = "t2", name = "Two" }),
            M(3, "createTeam", new { id = "t3", name = "Three" }),
        };

        using (HttpResponseMessage refused = await alice.PushRawAsync("alice-1", push))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            await Errors.ReadAsync(refused, "unavailable");
        }
        // The push whole (five attempts), then its mutations one at a time: the first committed, the second five times lost.
        Assert.Equal(5 + 5, meters.Sum("tether.server.commit.conflicts"));
        Assert.Equal(["t1"], await TeamIdsInTheLogAsync(server));

        Volatile.Write(ref poisoned, false);
        JsonElement retried = await alice.PushAsync("alice-1", [.. push.Select(m => (System.Text.Json.Nodes.JsonObject)m.DeepClone())]);
        Assert.Equal(["duplicate", "applied", "applied"], retried.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(["t1", "t2", "t3"], await TeamIdsInTheLogAsync(server));
    }

    /// <summary>Holds the writer inside its commit each time it runs, until the test lets it pass.</summary>
    private sealed class Turnstile : IMutator
    {
        public const string MutatorName = "turnstile";

        private readonly SemaphoreSlim _entered = new(0);
        private readonly SemaphoreSlim _pass = new(0);

        public string Name => MutatorName;

        public async Task EnteredAsync() => Assert.True(await _entered.WaitAsync(TimeSpan.FromMinutes(1)), "the writer never reached the turnstile");

        public void Pass() => _pass.Release();

        public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        {
            _entered.Release();
            await _pass.WaitAsync(cancellationToken);
        }
    }
}
