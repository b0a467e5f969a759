using System.Text.RegularExpressions;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using Record = Tether.Mutators.Record;

namespace IssueTracker.Tests;

/// <summary>The JSON of every record the mutators write, field by field and in order, and its sync groups: what the
/// browser app, the console client and every stored database expect, whatever the server keeps the records in.</summary>
public sealed partial class RecordShapeTests
{
    /// <summary>The protocol's time text: UTC, round-trip ("O") format.</summary>
    [GeneratedRegex("\"createdAt\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z\"")]
    private static partial Regex CreatedAt();

    /// <summary>Checks the record's JSON (its time written as <c>T</c>) as the store reads it and as bootstrap sends
    /// it, and its groups.</summary>
    private static async Task AssertStoredAsync(TestServer server, BootstrapResult bootstrap, string modelName, string id, string json, params string[] groups)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(CancellationToken.None);
        Record record = await snapshot.GetRecordAsync(modelName, id, CancellationToken.None)
            ?? throw new InvalidOperationException($"There is no {modelName} '{id}'.");
        string stored = record.Data.ToJsonString();
        Assert.Single(CreatedAt().Matches(stored));
        Assert.Equal(json, CreatedAt().Replace(stored, "\"createdAt\":\"T\""));
        Assert.Equal(stored, bootstrap.Rows[(modelName, id)].GetRawText());
        Assert.Equal(groups, record.SyncGroups);
    }

    /// <summary>The same on the app's own tables (<c>ef</c>, the default) and on Tether's built-in JSON store.</summary>
    [Theory]
    [InlineData("ef")]
    [InlineData("json")]
    public async Task Each_mutator_writes_its_record_with_the_same_fields_in_the_same_order_and_in_the_same_groups(string store)
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Configuration = new Dictionary<string, string?> { ["store"] = store } });
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.MemberAsync("t1", "bob");
        await seed.RunAsync("createIssue", new { id = "i1", projectId = "p1", title = "First", description = "About it", status = "doing" });
        await seed.RunAsync("updateIssue", new { id = "i1", title = "Renamed" });
        await seed.IssueAsync("i2", "p1", "Second");
        await seed.RunAsync("addComment", new { id = "c1", issueId = "i1", body = "A comment" });
        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager", models = IssueTrackerModels.All });

        await AssertStoredAsync(server, bootstrap, "team", "t1",
            """{"id":"t1","createdBy":"alice","createdAt":"T","name":"Team t1"}""", "team:t1");
        await AssertStoredAsync(server, bootstrap, "member", "t1:alice",
            """{"id":"t1:alice","createdBy":"alice","createdAt":"T","teamId":"t1","userId":"alice"}""", "team:t1", "user:alice");
        await AssertStoredAsync(server, bootstrap, "member", "t1:bob",
            """{"id":"t1:bob","createdBy":"alice","createdAt":"T","teamId":"t1","userId":"bob"}""", "team:t1", "user:bob");
        await AssertStoredAsync(server, bootstrap, "project", "p1",
            """{"id":"p1","createdBy":"alice","createdAt":"T","teamId":"t1","name":"Project p1"}""", "team:t1");
        await AssertStoredAsync(server, bootstrap, "issue", "i1",
            """{"id":"i1","createdBy":"alice","createdAt":"T","projectId":"p1","teamId":"t1","title":"Renamed","description":"About it","status":"doing"}""", "team:t1");
        await AssertStoredAsync(server, bootstrap, "issue", "i2",
            """{"id":"i2","createdBy":"alice","createdAt":"T","projectId":"p1","teamId":"t1","title":"Second","description":"","status":"todo"}""", "team:t1");
        await AssertStoredAsync(server, bootstrap, "comment", "c1",
            """{"id":"c1","createdBy":"alice","createdAt":"T","issueId":"i1","teamId":"t1","body":"A comment"}""", "team:t1");
    }
}
