using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>The writer keeps users' groups from one commit to the next; a membership taken away must count at once,
/// whether the mutation said exactly what it revoked, said only that groups changed, or was written by another
/// writer. The test model's <c>changes</c> policy reads <see cref="IMutationContext.UserSyncGroups"/>, so it shows what the
/// writer believes.</summary>
public sealed class WriterGroupCacheTests
{
    [Fact]
    public async Task A_member_removed_and_added_again_is_refused_and_then_allowed_in_the_next_commits()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        Seed seed = await BobWritesInTeamT1Async(alice, bob);
        await seed.RunAsync("removeMember", new { teamId = "t1", userId = "bob" });
        Assert.Equal("forbidden", await CreateProjectAsync(bob, 2, "p2"));
        await seed.MemberAsync("t1", "bob");
        Assert.Equal("applied", await CreateProjectAsync(bob, 3, "p3"));
    }

    [Fact]
    public async Task A_membership_taken_away_by_a_mutation_that_does_not_say_how_is_resolved_again()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = tether => tether.AddMutators([new QuietlyRemoveMember()]),
        });
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        Seed seed = await BobWritesInTeamT1Async(alice, bob);

        await seed.RunAsync(QuietlyRemoveMember.MutatorName, new { teamId = "t1", userId = "bob" });

        Assert.Equal("forbidden", await CreateProjectAsync(bob, 2, "p2"));
    }

    [Fact]
    public async Task A_membership_taken_away_by_another_writer_counts_at_the_writers_next_commit()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await BobWritesInTeamT1Async(alice, bob);

        // Another writer of the same database (another node, say) removes the membership.
        await using (ITetherWriteTransaction other = await server.Store.BeginWriteAsync(CancellationToken.None))
        {
            await other.CommitAsync(new WriteBatch
            {
                Records = [new RecordWrite("member", "t1:bob", null, [])],
                Actions = [new LogEntry(other.Head + 1, "delete", "member", "t1:bob", null, ["team:t1", "user:bob"], "elsewhere", 1)],
            }, CancellationToken.None);
        }

        Assert.Equal("forbidden", await CreateProjectAsync(bob, 2, "p2"));
    }

    [Fact]
    public async Task On_a_store_that_sequences_commits_later_a_membership_taken_away_by_another_writer_counts_once_the_log_tailer_published_it()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = tether => InterposedStore.Install(tether, writers: 2),
        });
        // Every commit reports its syncIds as given later: the head no longer tells the writers who else committed.
        ((InterposedStore)server.Store).Sequencing = (_, head) => Task.FromResult(head);
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await BobWritesInTeamT1Async(alice, bob);

        long removed;
        await using (ITetherWriteTransaction other = await server.Store.BeginWriteAsync(CancellationToken.None))
        {
            removed = other.Head + 1;
            await other.CommitAsync(new WriteBatch
            {
                Records = [new RecordWrite("member", "t1:bob", null, [])],
                Actions = [new LogEntry(removed, "delete", "member", "t1:bob", null, ["team:t1", "user:bob"], "elsewhere", 1)],
                GroupChanges = [new GroupChange(removed, "bob")],
            }, CancellationToken.None);
        }
        await FanoutProbe.WaitForAsync(server, removed);

        Assert.Equal("forbidden", await CreateProjectAsync(bob, 2, "p2"));
    }

    [Fact]
    public async Task A_grant_said_by_a_mutation_that_wrote_nothing_gives_no_group()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = tether => tether.AddMutators([new ClaimWithoutWriting()]),
        });
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await new Seed(alice, "a1").TeamAsync("t1");

        await bob.ApplyAsync("bob-claims", 1, ClaimWithoutWriting.MutatorName, new { });

        Assert.Equal("forbidden", await CreateProjectAsync(bob, 1, "p1"));
    }

    /// <summary>Alice's team t1 with bob as a member, who has written in it once (so the writer knows his groups);
    /// returns alice's seed.</summary>
    private static async Task<Seed> BobWritesInTeamT1Async(SyncApi alice, SyncApi bob)
    {
        var seed = new Seed(alice, "a1");
        await seed.TeamAsync("t1");
        await seed.MemberAsync("t1", "bob");
        Assert.Equal("applied", await CreateProjectAsync(bob, 1, "p1"));
        return seed;
    }

    /// <summary>Creates a project in team t1 through <c>changes</c>; returns "applied" or the refusal's code.</summary>
    private static async Task<string> CreateProjectAsync(SyncApi api, long id, string projectId)
    {
        JsonElement result = (await api.PushAsync(api.UserId + "-changes", M(id, "changes", new
        {
            changes = new[] { new { action = "create", modelName = "project", modelId = projectId, data = new { teamId = "t1", name = "Project " + projectId } } },
        }))).GetProperty("results")[0];
        return result.GetProperty("status").GetString() == "applied"
            ? "applied"
            : result.GetProperty("error").GetProperty("code").GetString()!;
    }

    /// <summary>Says the caller gains team t1 but writes no membership: nothing in the records grants it.</summary>
    private sealed class ClaimWithoutWriting : IMutator
    {
        public const string MutatorName = "claimWithoutWriting";

        public string Name => MutatorName;

        public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        {
            context.SyncGroupsChanged(context.UserId, granted: ["team:t1"], revoked: []);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Removes a membership and says only that the user's groups changed, not how.</summary>
    private sealed class QuietlyRemoveMember : IMutator
    {
        public const string MutatorName = "quietlyRemoveMember";

        public string Name => MutatorName;

        public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        {
            string teamId = args.GetProperty("teamId").GetString()!;
            string userId = args.GetProperty("userId").GetString()!;
            await context.DeleteAsync("member", teamId + ":" + userId, cancellationToken);
            context.SyncGroupsChanged(userId);
        }
    }
}
