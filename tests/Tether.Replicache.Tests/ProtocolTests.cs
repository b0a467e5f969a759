using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Replicache.Tests.ReplicacheApi;

namespace Tether.Replicache.Tests;

/// <summary>Replicache push/pull v1 rule by rule against the real server.</summary>
public sealed class ProtocolTests
{
    [Fact]
    public async Task Pushed_mutations_come_back_in_a_pull_as_puts_with_their_lastMutationIDs_and_a_growing_cookie()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");

        await alice.PushAsync("g1",
            Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }),
            Mutation("c1", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }),
            Mutation("c2", 1, "createIssue", new { id = "i1", projectId = "p1", title = "First" }));
        JsonObject first = await alice.PullAsync("g1", null);

        Assert.Equal("clear", first.Ops()[0]);
        Assert.Contains("put team/t1", first.Ops());
        Assert.Contains("put project/p1", first.Ops());
        Assert.Contains("put issue/i1", first.Ops());
        Assert.Equal("First", first.Patch().Single(op => op!["key"]?.GetValue<string>() == "issue/i1")!["value"]!["title"]!.GetValue<string>());
        Assert.Equal(2, first.Lmid("c1"));
        Assert.Equal(1, first.Lmid("c2"));

        await alice.PushAsync("g1", Mutation("c2", 2, "updateIssue", new { id = "i1", title = "Renamed" }), Mutation("c2", 3, "deleteIssue", new { id = "i1" }));
        JsonObject second = await alice.PullAsync("g1", first["cookie"]);

        Assert.True(second.Order() > first.Order());
        Assert.Equal(["del issue/i1"], second.Ops());
        Assert.Equal(3, second.Lmid("c2"));
        JsonObject same = await alice.PullAsync("g1", second["cookie"]);
        Assert.True(JsonNode.DeepEquals(second["cookie"], same["cookie"]));
        Assert.Empty(same.Patch());
        Assert.Empty(same["lastMutationIDChanges"]!.AsObject());
    }

    [Fact]
    public async Task A_resent_mutation_is_skipped_a_gap_is_refused_and_a_refused_mutation_still_advances_its_id()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        JsonObject create = Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" });
        await alice.PushAsync("g1", create);
        JsonObject before = await alice.PullAsync("g1", null);

        // The client re-sends every pending mutation until a pull confirms it.
        await alice.PushAsync("g1", (JsonObject)create.DeepClone(), Mutation("c1", 2, "createProject", new { id = "p1", teamId = "nope", name = "P" }));
        using HttpResponseMessage gap = await alice.PushRawAsync("g1", [Mutation("c1", 5, "createTeam", new { id = "t5", name = "Gap" })]);
        JsonObject after = await alice.PullAsync("g1", before["cookie"]);

        // protocol.md: a gap is 409 mutation_gap (the client's state is known here, so not ClientStateNotFound).
        Assert.Equal(HttpStatusCode.Conflict, gap.StatusCode);
        JsonElement gapError = await Errors.ReadAsync(gap, "mutation_gap");
        Assert.Equal(3, gapError.GetProperty("expected").GetInt64());
        Assert.Equal(2, after.Lmid("c1"));
        Assert.True(after.Order() > before.Order(), "a refused mutation moves the cookie, so the client learns its id is consumed");
        Assert.DoesNotContain(after.Ops(), op => op.Contains("project/p1", StringComparison.Ordinal) || op.Contains("team/t5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_or_missing_cookie_gets_clear_and_every_record_with_an_order_above_the_requests()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        await alice.PushAsync("g1", Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }));

        // A cookie from a server that was reset (ahead of this one), and a forked group with an old cookie.
        JsonObject ahead = await alice.PullAsync("g1", new JsonObject { ["order"] = 1_000_000, ["head"] = 1_000_000 });
        JsonObject forked = await alice.PullAsync("g-new", JsonValue.Create(1));

        Assert.Equal("clear", ahead.Ops()[0]);
        Assert.Contains("put team/t1", ahead.Ops());
        Assert.True(ahead.Order() > 1_000_000);
        Assert.Contains("put team/t1", forked.Ops());
    }

    [Fact]
    public async Task A_cookie_older_than_the_kept_log_gets_clear_and_every_record()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        await alice.PushAsync("g1", Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }));
        JsonObject first = await alice.PullAsync("g1", null);
        await alice.PushAsync("g1", Mutation("c1", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }));
        await using (var snapshot = await server.Store.BeginReadAsync(TestContext.Current.CancellationToken))
        {
            await server.Store.CompactAsync(snapshot.Head, TestContext.Current.CancellationToken);
        }

        JsonObject after = await alice.PullAsync("g1", first["cookie"]);

        Assert.Equal("clear", after.Ops()[0]);
        Assert.Contains("put team/t1", after.Ops());
        Assert.Contains("put project/p1", after.Ops());
        Assert.True(after.Order() > first.Order());
    }

    [Fact]
    public async Task A_user_reads_only_their_groups_and_cannot_use_another_users_client_group()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        using var bob = new ReplicacheApi(server, "bob");
        await alice.PushAsync("alice-group", Mutation("a1", 1, "createTeam", new { id = "t1", name = "Alice's" }));
        await bob.PushAsync("bob-group", Mutation("b1", 1, "createTeam", new { id = "t2", name = "Bob's" }));

        JsonObject bobs = await bob.PullAsync("bob-group", null);
        using HttpResponseMessage stolenPush = await bob.PushRawAsync("alice-group", [Mutation("b9", 1, "createTeam", new { id = "t9", name = "X" })]);
        using HttpResponseMessage stolenPull = await bob.PullRawAsync("alice-group", null);

        Assert.Contains("put team/t2", bobs.Ops());
        Assert.DoesNotContain("put team/t1", bobs.Ops());
        Assert.Equal(HttpStatusCode.Forbidden, stolenPush.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, stolenPull.StatusCode);
        await Errors.ReadAsync(stolenPush, "forbidden");
    }

    [Fact]
    public async Task A_client_whose_first_mutations_the_server_never_saw_gets_ClientStateNotFound()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");

        using HttpResponseMessage response = await alice.PushRawAsync("g1", [Mutation("restored", 7, "createTeam", new { id = "t1", name = "Core" })]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ClientStateNotFound", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());
        Assert.DoesNotContain("put team/t1", (await alice.PullAsync("g1", null)).Ops());
    }

    [Fact]
    public async Task Other_protocol_or_schema_versions_get_VersionNotSupported_with_status_200()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");

        using HttpResponseMessage push = await alice.PushRawAsync("g1", [], pushVersion: 0);
        using HttpResponseMessage schema = await alice.PushRawAsync("g1", [], schemaVersion: "999");
        JsonObject pull = await alice.PullAsync("g1", null, pullVersion: 2);

        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        Assert.Equal("push", JsonNode.Parse(await push.Content.ReadAsStringAsync())!["versionType"]!.GetValue<string>());
        Assert.Equal("schema", JsonNode.Parse(await schema.Content.ReadAsStringAsync())!["versionType"]!.GetValue<string>());
        Assert.Equal("VersionNotSupported", pull["error"]!.GetValue<string>());
        Assert.Equal("pull", pull["versionType"]!.GetValue<string>());
    }
}
