using System.Globalization;
using System.Net;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

public sealed class ResyncTests
{
    /// <summary>A team, a project and three issues; the log is then compacted up to the first issue.</summary>
    private static async Task<(long Horizon, long Head)> CompactedAsync(TestServer server, SyncApi alice)
    {
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        long horizon = await seed.IssueAsync("i1", "p1");
        await seed.IssueAsync("i2", "p1");
        long head = await seed.IssueAsync("i3", "p1");
        await server.Store.CompactAsync(horizon, TestContext.Current.CancellationToken);
        return (horizon, head);
    }

    private static async Task AssertResyncAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        await Errors.ReadAsync(response, "resync_required");
    }

    private static Task<HttpResponseMessage> EventsAsync(SyncApi api, string query, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/sync/events" + query);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        return api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Delta_poll_and_SSE_from_below_the_horizon_answer_resync_required()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        (long horizon, _) = await CompactedAsync(server, alice);
        CancellationToken ct = TestContext.Current.CancellationToken;

        foreach (long from in new[] { 0, horizon - 1 })
        {
            using HttpResponseMessage delta = await alice.Http.GetAsync(SyncApi.DeltaUrl(from), ct);
            await AssertResyncAsync(delta);
            // The poll must not wait for news it could never deliver.
            using HttpResponseMessage poll = await alice.Http.GetAsync(SyncApiExtensions.PollUrl(from, 30_000), ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
            await AssertResyncAsync(poll);
            using HttpResponseMessage events = await EventsAsync(alice, $"?from={from}");
            await AssertResyncAsync(events);
            using HttpResponseMessage resumed = await EventsAsync(alice, "", from.ToString(CultureInfo.InvariantCulture));
            await AssertResyncAsync(resumed);
        }
    }

    [Fact]
    public async Task Delta_poll_and_SSE_from_beyond_the_head_answer_resync_required()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        (_, long head) = await CompactedAsync(server, alice);
        CancellationToken ct = TestContext.Current.CancellationToken;

        using HttpResponseMessage delta = await alice.Http.GetAsync(SyncApi.DeltaUrl(head + 1), ct);
        await AssertResyncAsync(delta);
        using HttpResponseMessage poll = await alice.Http.GetAsync(SyncApiExtensions.PollUrl(head + 1000, 30_000), ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        await AssertResyncAsync(poll);
        using HttpResponseMessage events = await EventsAsync(alice, $"?from={head + 1}");
        await AssertResyncAsync(events);
    }

    [Fact]
    public async Task Uncompacted_server_answers_resync_required_for_a_position_beyond_its_head()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        long head = await new Seed(alice, "a1").TeamAsync("t1");

        using HttpResponseMessage delta = await alice.Http.GetAsync(SyncApi.DeltaUrl(head + 1), TestContext.Current.CancellationToken);

        await AssertResyncAsync(delta);
        Assert.Equal(head, await alice.HeadAsync());
    }

    [Fact]
    public async Task Delta_poll_and_SSE_from_exactly_the_horizon_deliver_what_follows_it()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        (long horizon, long head) = await CompactedAsync(server, alice);

        List<JsonElement> delta = await alice.AllActionsAsync(horizon);
        Assert.Equal(["i2", "i3"], delta.Select(a => a.ModelId()));
        Assert.Equal(head, delta[^1].SyncId());

        JsonElement poll = await alice.PollAsync(horizon, 30_000).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(Frames.Texts(delta), Frames.Texts(poll.Actions()));
        Assert.Equal(head, poll.LastSyncId());

        await using SseClient sse = await SseClient.ConnectAsync(alice, $"?from={horizon}");
        (long id, JsonElement handshake) = await sse.ReceiveAsync();
        Assert.Equal("handshake", handshake.Type());
        // The handshake is at the fan-out's position, which may still trail the last commit; its event id stays at the
        // resume point until the catch-up after it is delivered. Catch-up and live frames chain to the head.
        Assert.InRange(handshake.LastSyncId(), horizon, head);
        Assert.Equal(horizon, id);
        List<(long Id, JsonElement Data)> events = await sse.ReadUntilAsync(head);
        Frames.AssertChained(horizon, [.. events.Select(e => e.Data)]);
        Assert.Equal(Frames.Texts(delta), Frames.Texts(Frames.ActionsOf(events.Select(e => e.Data))));

        // The compacted part of the log is gone, the records stay: a fresh bootstrap still has them all.
        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
        Assert.Equal(head, bootstrap.FirstSyncId);
        Assert.Equal(3, bootstrap.Rows.Keys.Count(k => k.Model == "issue"));
    }
}
