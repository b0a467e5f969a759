using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace IssueTracker.Tests;

/// <summary>What the issue tracker's mutators write and refuse, beyond what any app's mutators would.</summary>
public sealed class MutatorRuleTests
{
    private static async Task<JsonElement> PushOneAsync(SyncApi api, string clientId, long id, string name, object args)
        => (await api.PushAsync(clientId, M(id, name, args))).GetProperty("results")[0];

    private static void AssertRejected(JsonElement result, string code)
    {
        Assert.True(result.GetProperty("status").GetString() == "rejected", $"expected a rejection, got {result}");
        Assert.Equal(code, result.GetProperty("error").GetProperty("code").GetString());
    }

    private static async Task<JsonElement> LatestAsync(SyncApi api, string modelName, string id)
        => (await api.AllActionsAsync()).Last(a => a.ModelName() == modelName && a.ModelId() == id);

    [Fact]
    public async Task An_issue_takes_its_team_from_its_project_and_starts_as_todo_with_an_empty_description_stamped_by_the_server()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a");
        await seed.TeamWithProjectAsync("t1", "p1");
        DateTimeOffset before = DateTimeOffset.UtcNow;

        await seed.IssueAsync("i1", "p1", "First");

        JsonElement issue = await LatestAsync(alice, "issue", "i1");
        JsonElement data = issue.GetProperty("data");
        Assert.Equal("t1", data.GetProperty("teamId").GetString());
        Assert.Equal("p1", data.GetProperty("projectId").GetString());
        Assert.Equal("todo", data.GetProperty("status").GetString());
        Assert.Equal("", data.GetProperty("description").GetString());
        Assert.Equal("alice", data.GetProperty("createdBy").GetString());
        Assert.InRange(data.GetProperty("createdAt").GetDateTimeOffset(), before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_status_other_than_todo_doing_or_done_is_refused_on_create_and_on_update()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        long head = await alice.HeadAsync();

        AssertRejected(await PushOneAsync(alice, "c1", 1, "createIssue", new { id = "i2", projectId = "p1", title = "T", status = "blocked" }), "invalid_args");
        AssertRejected(await PushOneAsync(alice, "c1", 2, "updateIssue", new { id = "i1", status = "Done" }), "invalid_args");

        Assert.Equal(head, await alice.HeadAsync());
        JsonElement applied = await PushOneAsync(alice, "c1", 3, "updateIssue", new { id = "i1", status = "done" });
        Assert.Equal("applied", applied.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_update_changes_only_the_fields_it_names_and_one_that_names_none_or_changes_nothing_writes_nothing()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.RunAsync("createIssue", new { id = "i1", projectId = "p1", title = "Old title", description = "Kept", status = "doing" });

        await alice.ApplyAsync("c1", 1, "updateIssue", new { id = "i1", title = "New title" });
        long head = await alice.HeadAsync();
        JsonElement nothing = await PushOneAsync(alice, "c1", 2, "updateIssue", new { id = "i1" });
        JsonElement same = await PushOneAsync(alice, "c1", 3, "updateIssue", new { id = "i1", title = "New title", status = "doing" });

        Assert.Equal("applied", nothing.GetProperty("status").GetString());
        Assert.Equal("applied", same.GetProperty("status").GetString());
        Assert.Equal(head, await alice.HeadAsync());
        BootstrapResult data = await alice.BootstrapAsync(new { type = "eager", models = new[] { "issue" } });
        JsonElement issue = data.Rows[("issue", "i1")];
        Assert.Equal("New title", issue.GetProperty("title").GetString());
        Assert.Equal("Kept", issue.GetProperty("description").GetString());
        Assert.Equal("doing", issue.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Deleting_an_issue_deletes_its_comments_and_no_other_issues()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        await seed.IssueAsync("i2", "p1");
        await seed.RunAsync("addComment", new { id = "c1", issueId = "i1", body = "On i1" });
        await seed.RunAsync("addComment", new { id = "c2", issueId = "i1", body = "Also on i1" });
        await seed.RunAsync("addComment", new { id = "c3", issueId = "i2", body = "On i2" });
        long head = await alice.HeadAsync();

        await seed.RunAsync("deleteIssue", new { id = "i1" });

        List<JsonElement> deleted = await alice.AllActionsAsync(head);
        Assert.All(deleted, a => Assert.Equal("delete", a.GetProperty("action").GetString()));
        Assert.Equal(["comment/c1", "comment/c2", "issue/i1"], deleted.Select(a => $"{a.ModelName()}/{a.ModelId()}").Order(StringComparer.Ordinal));
        BootstrapResult left = await alice.BootstrapAsync(new { type = "eager", models = new[] { "issue", "comment" } });
        Assert.Equal([("comment", "c3"), ("issue", "i2")], left.Rows.Keys.Order());
    }

    [Fact]
    public async Task A_user_who_is_not_a_member_of_the_team_is_refused_by_every_mutator_and_writes_nothing()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        long head = await alice.HeadAsync();

        (string Name, object Args)[] attempts =
        [
            ("addMember", new { teamId = "t1", userId = "bob" }),
            ("removeMember", new { teamId = "t1", userId = "alice" }),
            ("createProject", new { id = "p2", teamId = "t1", name = "Bob's" }),
            ("createIssue", new { id = "i2", projectId = "p1", title = "Bob's" }),
            ("updateIssue", new { id = "i1", title = "Taken" }),
            ("deleteIssue", new { id = "i1" }),
            ("addComment", new { id = "c1", issueId = "i1", body = "Hi" }),
        ];
        long id = 1;
        foreach ((string name, object args) in attempts)
        {
            JsonElement result = await PushOneAsync(bob, "b1", id++, name, args);
            Assert.True(result.GetProperty("status").GetString() == "rejected", $"{name} by a non-member was {result}");
            Assert.Equal("forbidden", result.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task A_team_id_that_exists_or_a_member_added_twice_is_refused()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        var seed = new Seed(alice, "setup");
        await seed.TeamAsync("t1");
        await seed.MemberAsync("t1", "bob");
        long head = await alice.HeadAsync();

        AssertRejected(await PushOneAsync(bob, "b1", 1, "createTeam", new { id = "t1", name = "Mine now" }), "invalid_args");
        AssertRejected(await PushOneAsync(alice, "a1", 1, "addMember", new { teamId = "t1", userId = "bob" }), "invalid_args");

        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task An_argument_the_mutator_does_not_know_is_refused_rather_than_ignored()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        long head = await alice.HeadAsync();

        // A typo in a patch would otherwise be a silent no-op.
        AssertRejected(await PushOneAsync(alice, "c1", 1, "updateIssue", new { id = "i1", titel = "Typo" }), "invalid_args");

        Assert.Equal(head, await alice.HeadAsync());
    }
}
