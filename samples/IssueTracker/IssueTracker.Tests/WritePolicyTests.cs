using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace IssueTracker.Tests;

/// <summary>What the issue tracker lets the built-in <c>changes</c> mutator do (<c>IssueTrackerWritePolicy</c>):
/// projects, issues and comments of the caller's own teams, under the mutators' field rules; teams and members only
/// through the mutators.</summary>
public sealed class WritePolicyTests
{
    private static object Change(string action, string modelName, string modelId, object? data = null)
        => new { action, modelName, modelId, data };

    private static async Task<JsonElement> ChangesAsync(SyncApi api, long id, params object[] changes)
        => (await api.PushAsync(api.UserId + "-changes", M(id, "changes", new { changes }))).GetProperty("results")[0];

    private static void AssertRejected(JsonElement result, string code)
    {
        Assert.True(result.GetProperty("status").GetString() == "rejected", $"expected a rejection, got {result}");
        Assert.Equal(code, result.GetProperty("error").GetProperty("code").GetString());
    }

    private static void AssertApplied(JsonElement result)
        => Assert.True(result.GetProperty("status").GetString() == "applied", $"expected it applied, got {result}");

    /// <summary>alice's team t1 with project p1 and issue i1.</summary>
    private static async Task SeedAsync(SyncApi alice)
    {
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
    }

    [Fact]
    public async Task A_member_creates_updates_and_deletes_projects_issues_and_comments_of_the_team()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await SeedAsync(alice);

        AssertApplied(await ChangesAsync(alice, 1,
            Change("create", "project", "p2", new { teamId = "t1", name = "Second" }),
            Change("create", "issue", "i2", new { teamId = "t1", projectId = "p2", title = "In p2", status = "todo" }),
            Change("create", "comment", "c1", new { teamId = "t1", issueId = "i2", body = "First!" })));
        AssertApplied(await ChangesAsync(alice, 2, Change("update", "issue", "i2", new { status = "done", teamId = "t1" })));
        AssertApplied(await ChangesAsync(alice, 3, Change("delete", "comment", "c1")));

        BootstrapResult data = await alice.BootstrapAsync(new { type = "eager", models = new[] { "project", "issue", "comment" } });
        Assert.Equal("done", data.Rows[("issue", "i2")].GetProperty("status").GetString());
        Assert.Equal([("issue", "i1"), ("issue", "i2"), ("project", "p1"), ("project", "p2")], data.Rows.Keys.Order());
    }

    [Fact]
    public async Task Teams_and_members_change_only_through_the_mutators()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await SeedAsync(alice);
        long head = await alice.HeadAsync();

        AssertRejected(await ChangesAsync(alice, 1, Change("create", "team", "t2", new { name = "T2" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 2, Change("update", "team", "t1", new { name = "Renamed" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 3, Change("create", "member", "t1:bob", new { teamId = "t1", userId = "bob" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 4, Change("delete", "member", "t1:alice")), "forbidden");

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task A_user_who_is_not_a_member_changes_nothing_of_the_team()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await SeedAsync(alice);
        long head = await alice.HeadAsync();

        AssertRejected(await ChangesAsync(bob, 1, Change("create", "issue", "i2", new { teamId = "t1", projectId = "p1", title = "Bob's", status = "todo" })), "forbidden");
        AssertRejected(await ChangesAsync(bob, 2, Change("update", "issue", "i1", new { title = "Taken" })), "forbidden");
        AssertRejected(await ChangesAsync(bob, 3, Change("delete", "issue", "i1")), "forbidden");

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task A_record_stays_in_its_team_and_references_only_records_of_that_team()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await SeedAsync(alice);
        await new Seed(alice, "setup-2").TeamWithProjectAsync("t2", "p2");
        long head = await alice.HeadAsync();

        // alice is a member of both teams; still no record may move data from one to the other.
        AssertRejected(await ChangesAsync(alice, 1, Change("update", "issue", "i1", new { teamId = "t2" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 2, Change("create", "issue", "i2", new { teamId = "t2", projectId = "p1", title = "Across", status = "todo" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 3, Change("create", "comment", "c1", new { teamId = "t2", issueId = "i1", body = "Across" })), "forbidden");
        AssertRejected(await ChangesAsync(alice, 4, Change("create", "issue", "i3", new { teamId = "t1", projectId = "missing", title = "Orphan", status = "todo" })), "not_found");

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task Fields_are_checked_as_the_mutators_check_them()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await SeedAsync(alice);
        long head = await alice.HeadAsync();

        AssertRejected(await ChangesAsync(alice, 1, Change("create", "issue", "i2", new { teamId = "t1", projectId = "p1", title = "No status" })), "invalid_args");
        AssertRejected(await ChangesAsync(alice, 2, Change("create", "issue", "i3", new { teamId = "t1", projectId = "p1", title = "T", status = "blocked" })), "invalid_args");
        AssertRejected(await ChangesAsync(alice, 3, Change("update", "issue", "i1", new { title = 42 })), "invalid_args");
        AssertRejected(await ChangesAsync(alice, 4, Change("create", "project", "p2", new { teamId = "t:1", name = "Colon" })), "invalid_args");

        Assert.Equal(head, await alice.HeadAsync());
    }
}
