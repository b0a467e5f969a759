using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server;
using Tether.Server.Tests.Harness;

namespace IssueTracker.Tests;

/// <summary>Who reads what in the issue tracker (<c>IssueTrackerGroupResolver</c>): a user reads their own group and
/// the group of every team they are a member of, and nothing else.</summary>
public sealed class GroupRuleTests
{
    private static async Task<string[]> GroupsAsync(SyncApi api)
        => (await api.BootstrapAsync(new { type = "eager", models = new[] { "team" } })).Start.SyncGroups();

    [Fact]
    public async Task A_user_reads_their_own_group_and_the_group_of_each_team_they_are_a_member_of()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        using SyncApi carol = server.Api("carol");
        var seed = new Seed(alice, "a");
        await seed.TeamAsync("t1");
        await seed.TeamAsync("t2");
        await seed.MemberAsync("t1", "bob");

        Assert.Equal(["team:t1", "team:t2", "user:alice"], await GroupsAsync(alice));
        Assert.Equal(["team:t1", "user:bob"], await GroupsAsync(bob));
        Assert.Equal(["user:carol"], await GroupsAsync(carol));
        BootstrapResult bobsTeams = await bob.BootstrapAsync(new { type = "eager", models = new[] { "team", "member" } });
        Assert.Equal([("member", "t1:alice"), ("member", "t1:bob"), ("team", "t1")], bobsTeams.Rows.Keys.Order());
    }

    [Fact]
    public async Task A_member_who_leaves_the_team_no_longer_reads_it()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        var seed = new Seed(alice, "a");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.MemberAsync("t1", "bob");
        Assert.Equal(["team:t1", "user:bob"], await GroupsAsync(bob));

        // A member may remove themself: that is how one leaves a team.
        await bob.ApplyAsync("b1", 1, "removeMember", new { teamId = "t1", userId = "bob" });

        Assert.Equal(["user:bob"], await GroupsAsync(bob));
        using HttpResponseMessage lazy = await bob.BootstrapRawAsync(new { type = "lazy", syncGroups = new[] { "team:t1" } });
        Assert.Equal(HttpStatusCode.Forbidden, lazy.StatusCode);
        await Errors.ReadAsync(lazy, "forbidden");
    }

    [Fact]
    public async Task A_membership_in_a_users_group_grants_that_user_nothing_unless_it_names_them()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = b => b.AddMutators([new MisfiledMembership()]) });
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await new Seed(alice, "a").TeamAsync("t1");

        await alice.ApplyAsync("a2", 1, MisfiledMembership.MutatorName, new { });

        Assert.Equal(["user:bob"], await GroupsAsync(bob));
    }

    /// <summary>Files alice's membership of t1 under bob's group as well, as no mutator of the app does.</summary>
    private sealed class MisfiledMembership : IMutator
    {
        public const string MutatorName = "misfiledMembership";

        public string Name => MutatorName;

        public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
            => context.InsertAsync("member", "t1:alice-copy", new JsonObject { ["id"] = "t1:alice-copy", ["teamId"] = "t1", ["userId"] = "alice" }, ["team:t1", "user:bob"], cancellationToken);
    }
}
