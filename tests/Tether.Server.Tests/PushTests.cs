using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

public sealed class PushTests
{
    [Fact]
    public async Task Applied_mutation_answers_the_syncId_it_created_and_its_records_are_readable()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        JsonElement answer = await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "Team one" }));

        JsonElement result = answer.GetProperty("results")[0];
        Assert.Equal("applied", result.GetProperty("status").GetString());
        Assert.Equal(1, answer.GetProperty("lastMutationId").GetInt64());
        List<JsonElement> actions = await alice.AllActionsAsync();
        Assert.Equal(result.GetProperty("lastSyncId").GetInt64(), actions[^1].GetProperty("syncId").GetInt64());
        JsonElement team = actions.Single(a => a.GetProperty("modelName").GetString() == "team").GetProperty("data");
        Assert.Equal("Team one", team.GetProperty("name").GetString());
        Assert.Equal("alice", team.GetProperty("createdBy").GetString());
        Assert.Contains(actions, a => a.GetProperty("modelName").GetString() == "member" && a.GetProperty("modelId").GetString() == "t1:alice");
    }

    [Fact]
    public async Task Same_batch_pushed_twice_is_answered_duplicate_and_applied_once()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var batch = new[] { M(1, "createTeam", new { id = "t1", name = "T" }), M(2, "createProject", new { id = "p1", teamId = "t1", name = "P" }) };
        await alice.PushAsync("c1", batch);
        long headAfterFirst = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        JsonElement again = await alice.PushAsync("c1", [.. batch.Select(m => (System.Text.Json.Nodes.JsonObject)m.DeepClone())]);

        Assert.All(again.GetProperty("results").EnumerateArray(), r => Assert.Equal("duplicate", r.GetProperty("status").GetString()));
        Assert.Equal(2, again.GetProperty("lastMutationId").GetInt64());
        Assert.Equal(headAfterFirst, (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64());
    }

    [Fact]
    public async Task Batch_that_overlaps_handled_ids_runs_only_the_new_ones()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "T" }));

        JsonElement answer = await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "T" }), M(2, "createProject", new { id = "p1", teamId = "t1", name = "P" }));

        string[] statuses = [.. answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!)];
        Assert.Equal(["duplicate", "applied"], statuses);
    }

    [Fact]
    public async Task Batch_with_a_gap_is_refused_with_mutation_gap_and_nothing_of_it_runs()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "T" }));

        using HttpResponseMessage response = await alice.PushRawAsync("c1", M(3, "createTeam", new { id = "t2", name = "T2" }), M(4, "createTeam", new { id = "t3", name = "T3" }));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "mutation_gap");
        Assert.Equal(2, error.GetProperty("expected").GetInt64());
        Assert.DoesNotContain(await alice.AllActionsAsync(), a => a.GetProperty("modelId").GetString() is "t2" or "t3");
    }

    [Fact]
    public async Task Rejected_mutation_writes_nothing_consumes_its_id_and_later_mutations_go_on()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "T" }));
        long head = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        JsonElement answer = await alice.PushAsync("c1",
            M(2, "createIssue", new { id = "i1", projectId = "missing", title = "x" }),
            M(3, "createProject", new { id = "p1", teamId = "t1", name = "P" }));

        JsonElement rejected = answer.GetProperty("results")[0];
        Assert.Equal("rejected", rejected.GetProperty("status").GetString());
        Assert.Equal("not_found", rejected.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("applied", answer.GetProperty("results")[1].GetProperty("status").GetString());
        Assert.Equal(3, answer.GetProperty("lastMutationId").GetInt64());
        List<JsonElement> after = await alice.AllActionsAsync(head);
        Assert.Single(after);
        Assert.Equal("p1", after[0].GetProperty("modelId").GetString());
    }

    [Fact]
    public async Task Mutator_that_throws_is_rejected_as_internal_writes_nothing_and_its_neighbours_are_applied()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = b => b.AddMutators([new ExplodingMutator()]) });
        using SyncApi alice = server.Api("alice");

        JsonElement answer = await alice.PushAsync("c1",
            M(1, "createTeam", new { id = "t1", name = "T" }),
            M(2, ExplodingMutator.MutatorName, new { teamId = "t1" }),
            M(3, "createProject", new { id = "p1", teamId = "t1", name = "P" }));

        JsonElement[] results = [.. answer.GetProperty("results").EnumerateArray()];
        Assert.Equal("applied", results[0].GetProperty("status").GetString());
        Assert.Equal("rejected", results[1].GetProperty("status").GetString());
        JsonElement error = results[1].GetProperty("error");
        Assert.Equal("internal", error.GetProperty("code").GetString());
        Assert.DoesNotContain(ExplodingMutator.SecretDetail, error.GetRawText());
        Assert.Equal("applied", results[2].GetProperty("status").GetString());
        Assert.Equal(3, answer.GetProperty("lastMutationId").GetInt64());
        Assert.DoesNotContain(await alice.AllActionsAsync(), a => a.GetProperty("modelId").GetString() == ExplodingMutator.WrittenBeforeThrowing);
    }

    [Fact]
    public async Task Unknown_mutator_and_unfit_arguments_are_rejected_and_consume_their_ids()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        JsonElement answer = await alice.PushAsync("c1",
            M(1, "noSuchMutator", new { }),
            M(2, "createTeam", new { id = 42 }));

        JsonElement[] results = [.. answer.GetProperty("results").EnumerateArray()];
        Assert.Equal("unknown_mutator", results[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_args", results[1].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(2, answer.GetProperty("lastMutationId").GetInt64());
    }

    [Fact]
    public async Task ClientId_of_another_user_is_forbidden()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi mallory = server.Api("mallory");
        await alice.PushAsync("c1", M(1, "createTeam", new { id = "t1", name = "T" }));

        long head = await alice.HeadAsync();

        using HttpResponseMessage response = await mallory.PushRawAsync("c1", M(2, "createTeam", new { id = "t2", name = "T" }));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Errors.ReadAsync(response, "forbidden");
        Assert.Equal(head, await alice.HeadAsync());
        Assert.Empty(await mallory.AllActionsAsync());
    }

    [Fact]
    public async Task A_push_whose_connection_dropped_while_it_was_committing_is_committed_whole_and_its_retry_is_answered_duplicate()
    {
        var gate = new GateMutator();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = tether => tether.AddMutators([gate]) });
        using SyncApi alice = server.Api("alice");
        long head = await alice.HeadAsync();
        JsonObject[] batch = [M(1, GateMutator.MutatorName, new { }), M(2, "createTeam", new { id = "t1", name = "T" }), M(3, "createProject", new { id = "p1", teamId = "t1", name = "P" })];

        // The client drops the connection while the writer is inside the push (held at its first mutation).
        using (var drop = new CancellationTokenSource())
        {
            Task<HttpResponseMessage> dropped = alice.Http.PostAsync("/sync/push",
                new StringContent(new JsonObject { ["clientId"] = "c1", ["mutations"] = new JsonArray([.. batch.Select(m => m.DeepClone())]) }.ToJsonString(),
                    System.Text.Encoding.UTF8, "application/json"),
                drop.Token);
            await gate.Entered;
            await drop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        }
        gate.Open();
        JsonElement retried = await alice.PushAsync("c1", [.. batch.Select(m => (JsonObject)m.DeepClone())]);

        // The push was committed whole, once: the retry finds every mutation done.
        Assert.Equal(3, retried.GetProperty("lastMutationId").GetInt64());
        Assert.Equal(["duplicate", "duplicate", "duplicate"], retried.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));
        List<JsonElement> actions = await alice.AllActionsAsync(head);
        Assert.Single(actions, a => a.GetProperty("modelName").GetString() == "team");
        Assert.Single(actions, a => a.GetProperty("modelName").GetString() == "project");
        Assert.Equal(head + actions.Count, await alice.HeadAsync());
    }

    [Fact]
    public async Task Concurrent_pushes_of_many_clients_all_commit_with_distinct_contiguous_syncIds()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1");
        long start = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        const int clients = 16, perClient = 10;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (int i = 1; i <= perClient; i++)
            {
                await alice.ApplyAsync($"w{c}", i, "createIssue", new { id = $"i{c}-{i}", projectId = "p1", title = "t" });
            }
        }));

        long[] syncIds = [.. (await alice.AllActionsAsync(start)).Select(a => a.GetProperty("syncId").GetInt64())];
        Assert.Equal(clients * perClient, syncIds.Length);
        Assert.Equal(Enumerable.Range(1, clients * perClient).Select(i => start + i), syncIds);
    }
}
