using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using Tether.TestHost;
using Record = Tether.Mutators.Record;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>The typed helpers of <c>TypedMutations</c> on the server: what they write, in which groups, and the
/// actions a typed update makes (see also the client's TypedMutationTests, which run the same mutators locally).</summary>
public sealed class TypedMutationTests
{
    private static TestServerSettings WithTypedMutators(GateMutator? gate = null) => new()
    {
        Builder = tether => tether.AddMutators([.. TypedIssues.All, .. gate is null ? [] : new[] { gate }]),
    };

    private static async Task<Record?> StoredAsync(TestServer server, string id)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        return await snapshot.GetRecordAsync("issue", id, CancellationToken.None);
    }

    private static JsonElement[] IssueActions(IEnumerable<JsonElement> actions, string id)
        => [.. actions.Where(a => a.ModelName() == "issue" && a.ModelId() == id)];

    private static string Kind(JsonElement action) => action.GetProperty("action").GetString()!;

    [Fact]
    public async Task A_typed_insert_writes_the_entitys_json_in_the_group_its_rules_give_and_only_that_groups_readers_get_it()
    {
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators());
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await new Seed(alice, "alice-seed").TeamAsync("t1");
        await new Seed(bob, "bob-seed").TeamAsync("t2");

        await alice.ApplyAsync("alice-1", 1, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Typed", priority = 2 });

        Record stored = (await StoredAsync(server, "i1"))!;
        Assert.Equal("""{"id":"i1","projectId":null,"teamId":"t1","title":"Typed","description":null,"status":"todo","priority":2}""", stored.Data.ToJsonString());
        Assert.Equal(["team:t1"], stored.SyncGroups);
        JsonElement insert = Assert.Single(IssueActions(await alice.AllActionsAsync(), "i1"));
        Assert.Equal("insert", Kind(insert));
        Assert.Equal(stored.Data.ToJsonString(), insert.GetProperty("data").GetRawText());
        Assert.Empty(IssueActions(await bob.AllActionsAsync(), "i1"));
    }

    [Fact]
    public async Task A_typed_update_writes_only_the_fields_it_changed_and_keeps_the_ones_the_entity_does_not_know()
    {
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators());
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "alice-seed");
        await seed.TeamWithProjectAsync("t1", "p1");
        // The untyped mutator writes createdBy, which the entity lacks, and no priority, which the entity has.
        await seed.IssueAsync("i1", "p1", "Untyped");
        string before = (await StoredAsync(server, "i1"))!.Data.ToJsonString();

        await alice.ApplyAsync("alice-1", 1, TypedIssues.Update, new { id = "i1", status = "doing" });

        Record stored = (await StoredAsync(server, "i1"))!;
        Assert.Equal(before.Replace("\"status\":\"todo\"", "\"status\":\"doing\"", StringComparison.Ordinal), stored.Data.ToJsonString());
        Assert.Equal("alice", stored.Data["createdBy"]!.GetValue<string>());
        Assert.False(stored.Data.ContainsKey("priority"), "a field the update did not change was written");
        Assert.Equal(["team:t1"], stored.SyncGroups);
    }

    [Fact]
    public async Task Two_typed_updates_of_different_fields_pushed_at_once_by_two_clients_both_survive()
    {
        var gate = new GateMutator();
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators(gate));
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await new Seed(alice, "alice-seed").TeamAsync("t1");
        await alice.ApplyAsync("alice-1", 1, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Old title" });

        // Both edits queue behind a held writer, so they are committed together, each read from the batch's state.
        Task<JsonElement> held = alice.PushAsync("alice-gate", M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;
        Task<long> title = alice.ApplyAsync("alice-1", 2, TypedIssues.Update, new { id = "i1", title = "New title" });
        Task<long> status = bob.ApplyAsync("bob-1", 1, TypedIssues.Update, new { id = "i1", status = "done" });
        gate.Open();
        await Task.WhenAll(held, title, status);

        JsonObject data = (await StoredAsync(server, "i1"))!.Data;
        Assert.Equal("New title", data["title"]!.GetValue<string>());
        Assert.Equal("done", data["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_typed_update_that_moves_an_issue_to_another_team_is_a_delete_for_the_team_it_left_and_an_update_for_the_team_it_entered()
    {
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators());
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        using SyncApi carol = server.Api("carol");
        var seed = new Seed(alice, "alice-seed");
        await seed.TeamAsync("t1");
        await seed.TeamAsync("t2");
        await seed.MemberAsync("t1", "bob");
        await seed.MemberAsync("t2", "carol");
        long created = await alice.ApplyAsync("alice-1", 1, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Moving" });

        long moved = await alice.ApplyAsync("alice-1", 2, TypedIssues.Update, new { id = "i1", teamId = "t2" });

        Record stored = (await StoredAsync(server, "i1"))!;
        Assert.Equal(["team:t2"], stored.SyncGroups);
        Assert.Equal("t2", stored.Data["teamId"]!.GetValue<string>());
        JsonElement[] forAlice = IssueActions(await alice.AllActionsAsync(created), "i1");
        Assert.Equal(["delete", "update"], forAlice.Select(Kind));
        Assert.Equal(moved, forAlice[1].SyncId());
        Assert.Equal(forAlice[0].SyncId() + 1, forAlice[1].SyncId());
        // Bob sees it leave without its new data; carol sees it arrive, an update that is an insert for her.
        JsonElement left = Assert.Single(IssueActions(await bob.AllActionsAsync(created), "i1"));
        Assert.Equal("delete", Kind(left));
        Assert.False(left.TryGetProperty("data", out JsonElement data) && data.ValueKind != JsonValueKind.Null, "a delete carried data");
        JsonElement entered = Assert.Single(IssueActions(await carol.AllActionsAsync(), "i1"));
        Assert.Equal("update", Kind(entered));
        Assert.Equal(stored.Data.ToJsonString(), entered.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task A_typed_update_that_changes_nothing_writes_nothing()
    {
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators());
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "alice-seed").TeamAsync("t1");
        long created = await alice.ApplyAsync("alice-1", 1, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Same", status = "doing" });

        await alice.ApplyAsync("alice-1", 2, TypedIssues.Update, new { id = "i1", title = "Same", status = "doing" });

        Assert.Empty(await alice.AllActionsAsync(created));
    }

    [Fact]
    public async Task A_typed_list_answers_the_groups_records_and_typed_reads_and_writes_refuse_as_the_context_does()
    {
        await using TestServer server = await TestServer.StartAsync(WithTypedMutators());
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "alice-seed");
        await seed.TeamAsync("t1");
        await seed.TeamAsync("t2");
        await alice.ApplyAsync("alice-1", 1, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "One" });
        await alice.ApplyAsync("alice-1", 2, TypedIssues.Create, new { id = "i2", teamId = "t2", title = "Two" });
        await alice.ApplyAsync("alice-1", 3, TypedIssues.Create, new { id = "i3", teamId = "t1", title = "Three" });

        await alice.ApplyAsync("alice-1", 4, TypedIssues.CloseAll, new { teamId = "t1" });
        JsonElement results = (await alice.PushAsync("alice-1",
            M(5, TypedIssues.Create, new { id = "i1", teamId = "t1", title = "Again" }),
            M(6, TypedIssues.Update, new { id = "nope", title = "Missing" }),
            M(7, TypedIssues.Delete, new { id = "i3" }))).GetProperty("results");

        Assert.Equal("done", (await StoredAsync(server, "i1"))!.Data["status"]!.GetValue<string>());
        Assert.Equal("todo", (await StoredAsync(server, "i2"))!.Data["status"]!.GetValue<string>());
        Assert.Equal("invalid_args", results[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("not_found", results[1].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("applied", results[2].GetProperty("status").GetString());
        Assert.Null(await StoredAsync(server, "i3"));
    }
}
