using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

public sealed class RestartTests
{
    /// <summary>Runs <paramref name="before"/> on a first server, restarts it on the same file and returns the second.
    /// The second server owns the temp directory (RestartAsync hands it over), so only it is disposed; the first is
    /// disposed only when the test fails before the restart.</summary>
    private static async Task<TestServer> RunThenRestartAsync(Func<TestServer, Task> before)
    {
        TestServer first = await TestServer.StartAsync();
        try
        {
            await before(first);
        }
        catch
        {
            await first.DisposeAsync();
            throw;
        }
        return await first.RestartAsync();
    }

    [Fact]
    public async Task Head_data_and_lastMutationIds_survive_a_restart()
    {
        JsonObject[] batch = [M(1, "createTeam", new { id = "t1", name = "T" }), M(2, "createProject", new { id = "p1", teamId = "t1", name = "P" }), M(3, "createIssue", new { id = "i1", projectId = "p1", title = "kept" })];
        long head = 0;
        string[] actionsBefore = [];
        List<KeyValuePair<(string, string), string>> rowsBefore = [];

        await using TestServer server = await RunThenRestartAsync(async first =>
        {
            using SyncApi alice = first.Api("alice");
            JsonElement answer = await alice.PushAsync("c1", batch);
            Assert.Equal(3, answer.GetProperty("lastMutationId").GetInt64());
            head = await alice.HeadAsync();
            actionsBefore = Frames.Texts(await alice.AllActionsAsync(0));
            rowsBefore = Rows(await alice.BootstrapAsync(new { type = "eager" }));
        });
        using SyncApi alice = server.Api("alice");

        Assert.Equal(head, await alice.HeadAsync());
        Assert.Equal(actionsBefore, Frames.Texts(await alice.AllActionsAsync(0)));
        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
        Assert.Equal(head, bootstrap.FirstSyncId);
        Assert.Equal(rowsBefore, Rows(bootstrap));

        JsonElement again = await alice.PushAsync("c1", [.. batch.Select(m => (JsonObject)m.DeepClone())]);
        Assert.All(again.GetProperty("results").EnumerateArray(), r => Assert.Equal("duplicate", r.GetProperty("status").GetString()));
        Assert.Equal(3, again.GetProperty("lastMutationId").GetInt64());
        Assert.Equal(head, await alice.HeadAsync());

        using HttpResponseMessage gap = await alice.PushRawAsync("c1", M(5, "createIssue", new { id = "i2", projectId = "p1", title = "x" }));
        Assert.Equal(HttpStatusCode.Conflict, gap.StatusCode);
        Assert.Equal(4, (await Errors.ReadAsync(gap, "mutation_gap")).GetProperty("expected").GetInt64());

        long next = await alice.ApplyAsync("c1", 4, "createIssue", new { id = "i2", projectId = "p1", title = "after restart" });
        Assert.Equal(head + 1, next);
    }

    [Fact]
    public async Task Live_and_SSE_resume_after_a_restart_from_the_position_reached_before_it()
    {
        long before = 0;
        await using TestServer server = await RunThenRestartAsync(async first =>
        {
            using SyncApi alice = first.Api("alice");
            before = await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        });
        using SyncApi alice = server.Api("alice");
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "a1");
        JsonElement handshake = await live.ExpectAsync("handshake");
        Assert.Equal(before, handshake.LastSyncId());
        Assert.Equal(["team:t1", "user:alice"], handshake.SyncGroups());

        long created = await alice.ApplyAsync("a1", 3, "createIssue", new { id = "i1", projectId = "p1", title = "after restart" });

        Assert.Equal(before + 1, created);
        List<JsonElement> frames = await live.ReadUntilAsync(created);
        Frames.AssertChained(before, frames);
        Assert.Equal(["i1"], Frames.ActionsOf(frames).Select(a => a.ModelId()));
        Assert.Equal(3, frames[^1].Acks()!["a1"]);

        // An EventSource that had reached `before` on the old server reconnects with Last-Event-ID.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sync/events");
        request.Headers.Add("Last-Event-ID", before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using HttpResponseMessage response = await alice.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        // The handshake keeps the resume point as its event id until the catch-up after it has been delivered.
        Assert.Equal($"id: {before}", await reader.ReadLineAsync(timeout.Token));
        Assert.Contains("\"type\":\"handshake\"", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal("", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal($"id: {created}", await reader.ReadLineAsync(timeout.Token));
        JsonElement catchUp = JsonDocument.Parse((await reader.ReadLineAsync(timeout.Token))!["data: ".Length..]).RootElement;
        Assert.Equal(Frames.Texts(Frames.ActionsOf(frames)), Frames.Texts(catchUp.Actions()));
    }

    private static List<KeyValuePair<(string, string), string>> Rows(BootstrapResult bootstrap)
        => [.. bootstrap.Rows.Select(r => KeyValuePair.Create(r.Key, r.Value.GetRawText())).OrderBy(r => r.Key)];
}
