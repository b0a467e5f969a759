using System.Net;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

public sealed class BootstrapTests
{
    /// <summary>The state a client reaches by replaying the user's actions in (0, upTo]: record JSON by model and id.</summary>
    private static async Task<Dictionary<(string Model, string Id), string>> ReplayAsync(SyncApi api, long upTo)
    {
        var state = new Dictionary<(string, string), string>();
        long from = 0;
        while (from < upTo)
        {
            JsonElement page = await api.DeltaAsync(from, upTo);
            foreach (JsonElement action in page.Actions())
            {
                Assert.True(action.SyncId() <= upTo, $"delta to {upTo} returned {action.SyncId()}");
                (string, string) key = (action.ModelName(), action.ModelId());
                switch (action.GetProperty("action").GetString())
                {
                    case "insert" or "update":
                        state[key] = action.GetProperty("data").GetRawText();
                        break;
                    case "delete":
                        Assert.True(state.Remove(key), $"delete of {key} that was never inserted");
                        break;
                    default:
                        Assert.Fail($"unknown action {action}");
                        break;
                }
            }
            from = page.LastSyncId();
        }
        Assert.Equal(upTo, from);
        return state;
    }

    private static Dictionary<(string Model, string Id), string> Texts(BootstrapResult bootstrap)
        => bootstrap.Rows.ToDictionary(r => r.Key, r => r.Value.GetRawText());

    [Fact]
    public async Task Eager_bootstrap_taken_during_concurrent_writes_equals_replaying_the_log_up_to_its_firstSyncId()
    {
        // Small pages make each bootstrap stream for longer, so writes land while it is being read. The loop reads for
        // as long as the writes take, which on a slow machine is more than one user's rate allows.
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.BootstrapPageSize = 4; o.Limits.RequestsPerSecond = 0; } });
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1");

        const int writers = 3, perWriter = 30;
        Task writing = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var seed = new Seed(alice, $"w{w}");
            for (int i = 0; i < perWriter / 3; i++)
            {
                string issue = $"i{w}-{i}";
                await seed.IssueAsync(issue, "p1", "first");
                await seed.RunAsync("addComment", new { id = $"c{w}-{i}", issueId = issue, body = "a comment" });
                // Alternate: half of the issues change, the other half go away.
                await (i % 2 == 0
                    ? seed.RunAsync("updateIssue", new { id = issue, title = "second", status = "doing" })
                    : seed.RunAsync("deleteIssue", new { id = issue }));
            }
        }, TestContext.Current.CancellationToken)));

        var firstSyncIds = new List<long>();
        while (!writing.IsCompleted || firstSyncIds.Count < 3)
        {
            BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
            Assert.Equal(["team:t1", "user:alice"], bootstrap.Start.SyncGroups());
            Dictionary<(string Model, string Id), string> replayed = await ReplayAsync(alice, bootstrap.FirstSyncId);
            Assert.Equal(replayed.OrderBy(r => r.Key).ToList(), Texts(bootstrap).OrderBy(r => r.Key).ToList());
            firstSyncIds.Add(bootstrap.FirstSyncId);
        }
        await writing;

        // The last bootstrap, after every write, holds the final state.
        BootstrapResult final = await alice.BootstrapAsync(new { type = "eager" });
        Assert.Equal(await alice.HeadAsync(), final.FirstSyncId);
        Assert.Equal((await ReplayAsync(alice, final.FirstSyncId)).OrderBy(r => r.Key).ToList(), Texts(final).OrderBy(r => r.Key).ToList());
        Assert.Equal(writers * perWriter / 3 / 2, final.Rows.Keys.Count(k => k.Model == "issue"));
        Assert.True(firstSyncIds.Distinct().Count() > 1, $"every bootstrap saw the same position ({firstSyncIds[0]}): none overlapped a write");
    }

    [Fact]
    public async Task Models_filter_returns_only_the_named_models()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        await seed.RunAsync("addComment", new { id = "c1", issueId = "i1", body = "b" });

        BootstrapResult all = await alice.BootstrapAsync(new { type = "eager" });
        BootstrapResult some = await alice.BootstrapAsync(new { type = "eager", models = new[] { "issue", "project" } });

        Assert.Equal(["comment", "issue", "member", "project", "team"], all.Rows.Keys.Select(k => k.Model).Distinct().Order());
        Assert.Equal(all.FirstSyncId, some.FirstSyncId);
        Assert.Equal(
            Texts(all).Where(r => r.Key.Model is "issue" or "project").OrderBy(r => r.Key).ToList(),
            Texts(some).OrderBy(r => r.Key).ToList());
        Assert.Equal([("issue", "i1"), ("project", "p1")], some.Rows.Keys.Order());
    }

    [Fact]
    public async Task Unknown_model_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.BootstrapRawAsync(new { type = "eager", models = new[] { "issue", "salary" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "bad_request");
        Assert.Contains("salary", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Lazy_bootstrap_without_syncGroups_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "a1").TeamAsync("t1");

        using HttpResponseMessage missing = await alice.BootstrapRawAsync(new { type = "lazy" });
        using HttpResponseMessage empty = await alice.BootstrapRawAsync(new { type = "lazy", syncGroups = Array.Empty<string>() });

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        await Errors.ReadAsync(missing, "bad_request");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        await Errors.ReadAsync(empty, "bad_request");
    }

    [Fact]
    public async Task Rows_are_sent_in_pages_of_the_configured_size()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.BootstrapPageSize = 3 });
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        for (int i = 1; i <= 7; i++)
        {
            await seed.IssueAsync($"i{i}", "p1");
        }

        using HttpResponseMessage response = await alice.BootstrapRawAsync(new { type = "eager" });
        string ndjson = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        BootstrapResult parsed = BootstrapResult.Parse(ndjson);

        JsonElement[] pages = [.. ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..^1].Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.All(pages, p => Assert.InRange(p.GetProperty("rows").GetArrayLength(), 1, 3));
        JsonElement[] issuePages = [.. pages.Where(p => p.GetProperty("modelName").GetString() == "issue")];
        Assert.Equal(3, issuePages.Length);
        Assert.Equal(7, issuePages.Sum(p => p.GetProperty("rows").GetArrayLength()));
        Assert.Equal(7, parsed.Rows.Keys.Count(k => k.Model == "issue"));
        Assert.Equal(10, parsed.End.GetProperty("rowCount").GetInt64());
    }
}
