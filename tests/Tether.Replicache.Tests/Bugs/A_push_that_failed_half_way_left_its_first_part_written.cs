using System.Net;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Replicache.Tests.ReplicacheApi;

namespace Tether.Replicache.Tests.Bugs;

/// <summary>A Replicache push was three commits (claim the client group, run each client's mutations, record each
/// client's lastMutationID), so a push refused at its second client had already written the claim and the first
/// client's mutations. It is one commit now: all of it or nothing.</summary>
public sealed class A_push_that_failed_half_way_left_its_first_part_written
{
    [Fact]
    public async Task A_push_refused_at_its_second_client_as_unknown_writes_nothing_of_the_first_nor_the_claim()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        using var bob = new ReplicacheApi(server, "bob");

        // c1's mutations are fine; c2 is new here but starts at 3: its state is lost, which refuses the whole push
        // after c1's part ran.
        using HttpResponseMessage refused = await alice.PushRawAsync("g1",
        [
            Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }),
            Mutation("c1", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }),
            Mutation("c2", 3, "createTeam", new { id = "t2", name = "Gap" }),
        ]);
        JsonObject body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        JsonObject afterRefusal = await alice.PullAsync("g1", null);
        // Had the claim of g1 been committed, the group would be alice's and bob's push would be forbidden.
        await bob.PushAsync("g1", Mutation("c9", 1, "createTeam", new { id = "tb", name = "Bob's" }));

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal("ClientStateNotFound", body["error"]!.GetValue<string>());
        Assert.Equal(["clear"], afterRefusal.Ops());
        Assert.Empty(afterRefusal["lastMutationIDChanges"]!.AsObject());
    }

    [Fact]
    public async Task A_push_refused_at_its_second_client_for_a_gap_writes_nothing_of_the_first()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        await alice.PushAsync("g1", Mutation("c2", 1, "createTeam", new { id = "t0", name = "Known" }));
        JsonObject before = await alice.PullAsync("g1", null);

        using HttpResponseMessage refused = await alice.PushRawAsync("g1",
        [
            Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }),
            Mutation("c2", 3, "createTeam", new { id = "t2", name = "Gap" }),
        ]);
        JsonObject body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        JsonObject after = await alice.PullAsync("g1", before["cookie"]);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("mutation_gap", body["error"]!["code"]!.GetValue<string>());
        Assert.Equal(2, body["error"]!["expected"]!.GetValue<long>());
        // The same cookie back: the log's head did not move, so neither c1's team nor its binding to g1 was written.
        Assert.True(JsonNode.DeepEquals(before["cookie"], after["cookie"]));
        Assert.Empty(after.Patch());
    }

    [Fact]
    public async Task The_same_push_without_the_gap_writes_every_part()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        using var bob = new ReplicacheApi(server, "bob");

        await alice.PushAsync("g1",
            Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }),
            Mutation("c1", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }),
            Mutation("c2", 1, "createTeam", new { id = "t2", name = "Other" }));
        JsonObject pulled = await alice.PullAsync("g1", null);
        using HttpResponseMessage stolen = await bob.PushRawAsync("g1", [Mutation("c9", 1, "createTeam", new { id = "tb", name = "Bob's" })]);

        Assert.Contains("put team/t1", pulled.Ops());
        Assert.Contains("put project/p1", pulled.Ops());
        Assert.Contains("put team/t2", pulled.Ops());
        Assert.Equal(2, pulled.Lmid("c1"));
        Assert.Equal(1, pulled.Lmid("c2"));
        Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
    }
}
