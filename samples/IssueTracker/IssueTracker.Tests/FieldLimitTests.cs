using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace IssueTracker.Tests;

/// <summary>The issue tracker's limits on ids and text (<c>FieldRules</c>): a value at the limit is written, one
/// character more is refused with <c>invalid_args</c> naming the field, through the mutators and through
/// <c>changes</c> alike.</summary>
public sealed class FieldLimitTests
{
    private const int IdLimit = 128;
    private const int NameLimit = 500;
    private const int TextLimit = 10_000;

    [Theory]
    [InlineData("createTeam", "id", IdLimit)]
    [InlineData("createTeam", "name", NameLimit)]
    [InlineData("createProject", "id", IdLimit)]
    [InlineData("createProject", "name", NameLimit)]
    [InlineData("createIssue", "id", IdLimit)]
    [InlineData("createIssue", "title", NameLimit)]
    [InlineData("createIssue", "description", TextLimit)]
    [InlineData("updateIssue", "title", NameLimit)]
    [InlineData("updateIssue", "description", TextLimit)]
    [InlineData("addComment", "id", IdLimit)]
    [InlineData("addComment", "body", TextLimit)]
    [InlineData("changes:issue", "title", NameLimit)]
    [InlineData("changes:issue", "description", TextLimit)]
    [InlineData("changes:comment", "body", TextLimit)]
    [InlineData("changes:project", "name", NameLimit)]
    public async Task A_value_at_the_limit_is_written_and_one_character_more_is_refused(string mutator, string field, int limit)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");

        JsonElement atLimit = await PushAsync(alice, 1, mutator, field, new string('a', limit));
        long head = await alice.HeadAsync();
        JsonElement over = await PushAsync(alice, 2, mutator, field, new string('b', limit + 1));

        Assert.True(atLimit.GetProperty("status").GetString() == "applied", $"{limit} characters were refused: {atLimit}");
        Assert.Equal("rejected", over.GetProperty("status").GetString());
        JsonElement error = over.GetProperty("error");
        Assert.Equal("invalid_args", error.GetProperty("code").GetString());
        Assert.Contains($"'{field}'", error.GetProperty("message").GetString());
        Assert.Equal(head, await alice.HeadAsync());
    }

    [Theory]
    [InlineData("createTeam", "id", "t:1")]
    [InlineData("createTeam", "name", "   ")]
    [InlineData("createIssue", "title", "")]
    [InlineData("addComment", "body", " ")]
    [InlineData("changes:issue", "title", " ")]
    public async Task A_team_id_with_a_colon_or_a_blank_required_text_is_refused(string mutator, string field, string value)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        long head = await alice.HeadAsync();

        JsonElement result = await PushAsync(alice, 1, mutator, field, value);

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Equal("invalid_args", result.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains($"'{field}'", result.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(head, await alice.HeadAsync());
    }

    /// <summary>Pushes <paramref name="mutator"/> with <paramref name="field"/> set to <paramref name="value"/> and
    /// every other argument valid (ids made unique by <paramref name="n"/>).</summary>
    private static async Task<JsonElement> PushAsync(SyncApi api, long n, string mutator, string field, string value)
    {
        var args = new Dictionary<string, object>();
        string? model = mutator.StartsWith("changes:", StringComparison.Ordinal) ? mutator["changes:".Length..] : null;
        switch (model ?? mutator)
        {
            case "createTeam":
                args["id"] = "team" + n;
                args["name"] = "Team";
                break;
            case "createProject" or "project":
                args["id"] = "project" + n;
                args["teamId"] = "t1";
                args["name"] = "Project";
                break;
            case "createIssue" or "issue":
                args["id"] = "issue" + n;
                args["projectId"] = "p1";
                args["title"] = "Issue";
                break;
            case "updateIssue":
                args["id"] = "i1";
                break;
            case "addComment" or "comment":
                args["id"] = "comment" + n;
                args["issueId"] = "i1";
                args["body"] = "Comment";
                break;
        }
        args[field] = value;
        if (model is null)
        {
            return (await api.PushAsync("c1", M(n, mutator, args))).GetProperty("results")[0];
        }
        // Through 'changes' the record names its team, and an issue its status, itself.
        string id = (string)args["id"];
        args.Remove("id");
        args["teamId"] = "t1";
        if (model == "issue")
        {
            args["status"] = "todo";
        }
        var change = new { action = "create", modelName = model, modelId = id, data = args };
        return (await api.PushAsync("c1", M(n, "changes", new { changes = new[] { change } }))).GetProperty("results")[0];
    }
}
