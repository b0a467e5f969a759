using System.Text.Json;
using Tether.Client;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>Two nodes on one database run conflicting mutations at the same moment, each in its own SERIALIZABLE
/// transaction with no lock shared between them. A <see cref="RaceBarrier"/> pushed after the conflicting mutation
/// holds both transactions until both have read, so that neither reads the other's commit: one of them must lose the
/// conflict, be run again, and then be refused by the mutator's own rule. Exactly one is applied, never both.</summary>
public sealed class ConflictingMutatorsTests
{
    [Fact]
    public async Task Both_nodes_adding_the_same_user_to_a_team_at_once_apply_one_and_refuse_the_other()
    {
        var barrier = new RaceBarrier(parties: 2);
        await using Pair nodes = await Pair.StartAsync(barrier);
        using SyncApi alice = nodes.A.Api("alice");
        using SyncApi bob = nodes.B.Api("bob");
        var seed = new Seed(alice, "seed");
        await seed.TeamAsync("t1");
        await seed.MemberAsync("t1", "bob");
        await using TetherClient aliceOnB = await Clients.StartAsync(nodes.B.BaseAddress, "alice");
        await using TetherClient bobOnA = await Clients.StartAsync(nodes.A.BaseAddress, "bob");
        await using TetherClient carolOnB = await Clients.StartAsync(nodes.B.BaseAddress, "carol");

        JsonElement[] answers = await Task.WhenAll(
            alice.PushAsync("race-a", M(1, "addMember", new { teamId = "t1", userId = "carol" }), M(2, RaceBarrier.MutatorName, new { })),
            bob.PushAsync("race-b", M(1, "addMember", new { teamId = "t1", userId = "carol" }), M(2, RaceBarrier.MutatorName, new { })));

        (int winner, JsonElement refused) = Race.Outcome(answers);
        Assert.Equal("invalid_args", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.True(nodes.Conflicts > 0, "neither transaction lost a conflict: the race did not happen");
        long head = await alice.HeadAsync();
        List<JsonElement> carol = [.. (await alice.AllActionsAsync()).Where(a => a.ModelName() == "member" && a.ModelId() == "t1:carol")];
        JsonElement added = Assert.Single(carol);
        Assert.Equal("insert", added.GetProperty("action").GetString());
        Assert.Equal(winner == 0 ? "alice" : "bob", added.GetProperty("data").GetProperty("createdBy").GetString());
        using SyncApi carolApi = nodes.A.Api("carol");
        await Race.AssertClientsMatchTheLogAsync(head, (aliceOnB, alice), (bobOnA, bob), (carolOnB, carolApi));
        Assert.True(carolOnB.Has("team", "t1"), "carol, added once, has the team");
    }

    [Fact]
    public async Task Two_members_removing_each_other_at_once_from_a_team_that_keeps_one_member_apply_one_and_refuse_the_other()
    {
        var barrier = new RaceBarrier(parties: 2);
        await using Pair nodes = await Pair.StartAsync(barrier);
        using SyncApi alice = nodes.A.Api("alice");
        using SyncApi bob = nodes.B.Api("bob");
        var seed = new Seed(alice, "seed");
        await seed.TeamAsync("t1");
        await seed.MemberAsync("t1", "bob");
        await using TetherClient aliceOnB = await Clients.StartAsync(nodes.B.BaseAddress, "alice");
        await using TetherClient bobOnA = await Clients.StartAsync(nodes.A.BaseAddress, "bob");

        JsonElement[] answers = await Task.WhenAll(
            alice.PushAsync("race-a", M(1, RemoveMemberKeepingOneMutator.MutatorName, new { teamId = "t1", userId = "bob" }), M(2, RaceBarrier.MutatorName, new { })),
            bob.PushAsync("race-b", M(1, RemoveMemberKeepingOneMutator.MutatorName, new { teamId = "t1", userId = "alice" }), M(2, RaceBarrier.MutatorName, new { })));

        (int winner, JsonElement refused) = Race.Outcome(answers);
        Assert.Equal("forbidden", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(RemoveMemberKeepingOneMutator.LastMemberMessage, refused.GetProperty("error").GetProperty("message").GetString());
        Assert.True(nodes.Conflicts > 0, "neither transaction lost a conflict: the race did not happen");
        string survivor = winner == 0 ? "alice" : "bob", removed = winner == 0 ? "bob" : "alice";
        using SyncApi survivorApi = nodes.B.Api(survivor);
        long head = await survivorApi.HeadAsync();
        JsonElement[] members = [.. (await survivorApi.AllActionsAsync()).Where(a => a.ModelName() == "member")];
        Assert.Equal(["insert:t1:alice", "insert:t1:bob", $"delete:t1:{removed}"], members.Select(a => $"{a.GetProperty("action").GetString()}:{a.ModelId()}"));
        TetherClient survivorClient = winner == 0 ? aliceOnB : bobOnA, removedClient = winner == 0 ? bobOnA : aliceOnB;
        await Race.AssertClientsMatchTheLogAsync(head, (survivorClient, survivorApi));
        Assert.True(survivorClient.Has("member", $"t1:{survivor}"), "the team keeps its last member");
        await Clients.EventuallyAsync(() => removedClient.LastSyncId >= head, "the removed member's client reaches the head");
        Assert.DoesNotContain(removedClient.ConfirmedSnapshot().Keys, k => k.Model == "member" || k.Model == "team");
    }

    /// <summary>Two nodes on one fresh database, sharing the race's barrier, with the test's rule mutator.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly ServerMeters _metersA;
        private readonly ServerMeters _metersB;

        private Pair(TestServer a, TestServer b)
        {
            A = a;
            B = b;
            _metersA = new ServerMeters(a);
            _metersB = new ServerMeters(b);
        }

        public TestServer A { get; }
        public TestServer B { get; }

        /// <summary>Write transactions of either node that lost a conflict and were run again.</summary>
        public double Conflicts => _metersA.Sum("tether.server.commit.conflicts") + _metersB.Sum("tether.server.commit.conflicts");

        public static async Task<Pair> StartAsync(RaceBarrier barrier)
        {
            var settings = new TestServerSettings { Builder = tether => tether.AddMutators([barrier, new RemoveMemberKeepingOneMutator()]) };
            TestServer a = await TestServer.StartAsync(settings with { OnPostgres = true });
            try
            {
                return new Pair(a, await TestServer.StartAsync(settings with { PostgresConnection = a.PostgresConnection }));
            }
            catch
            {
                await a.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _metersA.Dispose();
            _metersB.Dispose();
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}

internal static class Race
{
    /// <summary>Which of the two pushes had its conflicting mutation applied, and the other's refusal; the barrier
    /// behind each is applied either way.</summary>
    public static (int Winner, JsonElement Refused) Outcome(JsonElement[] answers)
    {
        string[] statuses = [.. answers.Select(a => a.GetProperty("results")[0].GetProperty("status").GetString()!)];
        Assert.True(statuses.Count(s => s == "applied") == 1 && statuses.Count(s => s == "rejected") == 1,
            $"expected one applied and one refused, got {string.Join(" and ", statuses)}");
        Assert.All(answers, a => Assert.Equal("applied", a.GetProperty("results")[1].GetProperty("status").GetString()));
        int winner = statuses[0] == "applied" ? 0 : 1;
        return (winner, answers[1 - winner].GetProperty("results")[0]);
    }

    /// <summary>Each live client reaches <paramref name="head"/> and then holds exactly what the log gives its user.</summary>
    public static async Task AssertClientsMatchTheLogAsync(long head, params (TetherClient Client, SyncApi Api)[] clients)
    {
        foreach ((TetherClient client, SyncApi api) in clients)
        {
            await Clients.EventuallyAsync(() => client.LastSyncId >= head, $"{api.UserId}'s client reaches {head}");
            LogReplay log = LogReplay.Empty();
            await log.ApplyAsync(api, head, api.UserId);
            log.AssertSame(client, $"{api.UserId}'s client");
        }
    }
}
