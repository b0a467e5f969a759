using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>The writer is shared fairly: a long push takes turns with other users' pushes, a user can queue only so
/// much, work nobody waits for is not done, and a long wait shows in health and turns new pushes away.</summary>
public sealed class FairnessTests
{
    private static readonly object NoArgs = new { };

    private static Task<TestServer> StartAsync(GateMutator gate, Action<TetherLimits> limits) => TestServer.StartAsync(new TestServerSettings
    {
        Tether = options =>
        {
            options.Limits.RequestsPerSecond = 0;
            limits(options.Limits);
        },
        Builder = tether => tether.AddMutators([gate]),
    });

    /// <summary>Pushes the gate and returns once the writer is inside it; the push answers when the gate opens.</summary>
    private static async Task<Task<JsonElement>> HoldTheWriterAsync(SyncApi api, GateMutator gate)
    {
        Task<JsonElement> held = api.PushAsync(api.UserId + "-gate", M(1, GateMutator.MutatorName, NoArgs));
        await gate.Entered;
        return held;
    }

    private static JsonObject CreateTeam(long id, string teamId) => M(id, "createTeam", new { id = teamId, name = "Team " + teamId });

    [Fact]
    public async Task A_long_push_takes_turns_with_another_users_push_instead_of_holding_the_writer()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(gate, limits => limits.MaxMutationsPerUserPerCommit = 10);
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");

        // 40 mutations of alice: the gate, then 39 teams; at most 10 of them per commit.
        Task<JsonElement> flood = alice.PushAsync("alice-1", [M(1, GateMutator.MutatorName, NoArgs), .. Enumerable.Range(2, 39).Select(i => CreateTeam(i, "a" + i))]);
        await gate.Entered;
        Task<JsonElement> single = bob.PushAsync("bob-1", CreateTeam(1, "b1"));
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 1, "bob's push waits for the writer");
        gate.Open();

        JsonElement[] floodResults = [.. (await flood).GetProperty("results").EnumerateArray()];
        JsonElement bobResult = (await single).GetProperty("results")[0];
        Assert.Equal(40, floodResults.Length);
        Assert.All(floodResults, result => Assert.Equal("applied", result.GetProperty("status").GetString()));
        Assert.Equal("applied", bobResult.GetProperty("status").GetString());
        // Bob's team was committed right after alice's first ten mutations, before the other thirty.
        long bobSyncId = bobResult.GetProperty("lastSyncId").GetInt64();
        Assert.True(floodResults[9].GetProperty("lastSyncId").GetInt64() < bobSyncId, $"bob's push ran before alice's first slice: {bobSyncId}");
        Assert.True(bobSyncId < floodResults[10].GetProperty("lastSyncId").GetInt64(), $"bob's push waited for alice's whole push: {bobSyncId}");
        Assert.Equal(40, (await alice.PushAsync("alice-1", CreateTeam(40, "a40"))).GetProperty("lastMutationId").GetInt64());
    }

    [Fact]
    public async Task A_user_with_too_much_queued_work_is_answered_429_while_other_users_still_queue()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(gate, limits => limits.MaxQueuedMutationsPerUser = 20);
        using SyncApi carol = server.Api("carol");
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");

        Task<JsonElement> held = await HoldTheWriterAsync(carol, gate);
        Task<JsonElement> first = alice.PushAsync("alice-1", [.. Enumerable.Range(1, 15).Select(i => CreateTeam(i, "a" + i))]);
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 1, "alice's first push waits");

        using HttpResponseMessage refused = await alice.PushRawAsync("alice-2", [.. Enumerable.Range(1, 10).Select(i => CreateTeam(i, "x" + i))]);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        await Errors.ReadAsync(refused, "rate_limited");
        Task<JsonElement> other = bob.PushAsync("bob-1", CreateTeam(1, "b1"));
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 2, "bob's push waits beside alice's");
        gate.Open();

        await held;
        Assert.Equal(15, (await first).GetProperty("lastMutationId").GetInt64());
        Assert.Equal(1, (await other).GetProperty("lastMutationId").GetInt64());
        // Nothing of the refused push was written: its client starts again at 1.
        Assert.Equal(1, (await alice.PushAsync("alice-2", CreateTeam(1, "x1"))).GetProperty("lastMutationId").GetInt64());
    }

    [Fact]
    public async Task Empty_pushes_count_against_the_users_queue_like_one_mutation_each()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(gate, limits => limits.MaxQueuedMutationsPerUser = 3);
        using SyncApi carol = server.Api("carol");
        using SyncApi alice = server.Api("alice");

        Task<JsonElement> held = await HoldTheWriterAsync(carol, gate);
        Task<JsonElement>[] queued = [.. Enumerable.Range(1, 3).Select(i => alice.PushAsync("alice-" + i))];
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 3, "alice's three empty pushes wait");

        using HttpResponseMessage refused = await alice.PushRawAsync("alice-4");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        await Errors.ReadAsync(refused, "rate_limited");
        gate.Open();

        await held;
        Assert.All(await Task.WhenAll(queued), answer => Assert.Equal(0, answer.GetProperty("lastMutationId").GetInt64()));
    }

    [Fact]
    public async Task A_push_whose_caller_went_away_before_its_turn_is_not_run()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(gate, _ => { });
        using SyncApi carol = server.Api("carol");
        using SyncApi alice = server.Api("alice");

        Task<JsonElement> held = await HoldTheWriterAsync(carol, gate);
        using var giveUp = new CancellationTokenSource();
        Task<HttpResponseMessage> abandoned = alice.Http.PostAsync("/sync/push", JsonContent(new JsonObject
        {
            ["clientId"] = "alice-1",
            ["mutations"] = new JsonArray(CreateTeam(1, "gone")),
        }), giveUp.Token);
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 1, "alice's push waits");
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 0, "alice's abandoned push leaves the queue");
        gate.Open();
        await held;

        // The abandoned mutation never ran: id 1 of that client is new, and the team was never created.
        JsonElement again = (await alice.PushAsync("alice-1", CreateTeam(1, "kept"))).GetProperty("results")[0];
        Assert.Equal("applied", again.GetProperty("status").GetString());
        JsonElement delta = await alice.DeltaAsync(0);
        Assert.DoesNotContain(delta.Actions(), action => action.ModelId() == "gone");
        Assert.Contains(delta.Actions(), action => action.ModelId() == "kept");
    }

    [Fact]
    public async Task Health_is_Degraded_while_pushes_wait_long_and_new_pushes_are_then_answered_503()
    {
        var gate = new GateMutator();
        await using TestServer server = await StartAsync(gate, limits =>
        {
            limits.DegradedQueueWait = TimeSpan.FromMilliseconds(200);
            limits.MaxQueueWait = TimeSpan.FromSeconds(1);
        });
        using SyncApi carol = server.Api("carol");
        using SyncApi bob = server.Api("bob");
        using SyncApi dave = server.Api("dave");
        Assert.Equal("Healthy", (await Health.ReadAsync(server)).Status());

        Task<JsonElement> held = await HoldTheWriterAsync(carol, gate);
        Task<JsonElement> waiting = bob.PushAsync("bob-1", CreateTeam(1, "b1"));
        await Health.WaitUntilAsync(server, health => health.Status() == "Degraded", "health reports the wait");
        await Health.WaitUntilAsync(server, health => health.GetProperty("queueWaitMs").GetInt64() > 1_000, "the oldest push waited past MaxQueueWait");

        using HttpResponseMessage shed = await dave.PushRawAsync("dave-1", CreateTeam(1, "d1"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
        Assert.NotNull(shed.Headers.RetryAfter);
        await Errors.ReadAsync(shed, "unavailable");
        gate.Open();

        await held;
        Assert.Equal(1, (await waiting).GetProperty("lastMutationId").GetInt64());
        await Health.WaitUntilAsync(server, health => health.Status() == "Healthy", "health recovers once the queue drains");
        Assert.Equal(1, (await dave.PushAsync("dave-1", CreateTeam(1, "d1"))).GetProperty("lastMutationId").GetInt64());
    }

    private static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
