using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Protocol;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

public sealed class LiveTests
{
    [Fact]
    public async Task Handshake_carries_the_head_and_all_of_the_users_groups()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "setup");
        await seed.TeamAsync("t1");
        long head = await seed.TeamAsync("t3");
        await FanoutProbe.WaitForAsync(server, head);

        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "c1");
        JsonElement handshake = await live.ExpectAsync("handshake");

        Assert.Equal(head, handshake.LastSyncId());
        Assert.Equal(head, await alice.HeadAsync());
        Assert.Equal(["team:t1", "team:t3", "user:alice"], handshake.SyncGroups());
    }

    [Fact]
    public async Task Mutation_by_another_member_of_the_team_arrives_live_without_acks_for_this_connection()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        await FanoutProbe.WaitForAsync(server, await seed.MemberAsync("t1", "bob"));
        await using LiveClient bob = await LiveClient.ConnectAsync(server, "bob", "b1");
        long handshake = (await bob.ExpectAsync("handshake")).LastSyncId();

        long issueSyncId = await seed.IssueAsync("i1", "p1", "Live title");

        List<JsonElement> frames = await bob.ReadUntilAsync(issueSyncId);
        Frames.AssertChained(handshake, frames);
        JsonElement frame = Assert.Single(frames);
        Assert.Equal(issueSyncId, frame.LastSyncId());
        JsonElement action = Assert.Single(frame.Actions());
        Assert.Equal("insert", action.GetProperty("action").GetString());
        Assert.Equal("issue", action.ModelName());
        Assert.Equal("i1", action.ModelId());
        Assert.Equal(issueSyncId, action.SyncId());
        Assert.Equal("Live title", action.GetProperty("data").GetProperty("title").GetString());
        Assert.Null(frame.Acks());
    }

    [Fact]
    public async Task Sync_frame_acks_the_connections_own_clientId_and_not_another_client_of_the_same_user()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await FanoutProbe.WaitForAsync(server, await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1"));
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "c1");
        long handshake = (await live.ExpectAsync("handshake")).LastSyncId();

        long own = await alice.ApplyAsync("c1", 1, "createIssue", new { id = "i1", projectId = "p1", title = "mine" });
        List<JsonElement> ownFrames = await live.ReadUntilAsync(own);
        long other = await alice.ApplyAsync("c2", 1, "createIssue", new { id = "i2", projectId = "p1", title = "other tab" });
        List<JsonElement> otherFrames = await live.ReadUntilAsync(other);

        Frames.AssertChained(handshake, [.. ownFrames, .. otherFrames]);
        JsonElement ownFrame = Assert.Single(ownFrames);
        Assert.Equal(new Dictionary<string, long> { ["c1"] = 1 }, ownFrame.Acks());
        Assert.Equal("i1", Assert.Single(ownFrame.Actions()).ModelId());
        JsonElement otherFrame = Assert.Single(otherFrames);
        Assert.Null(otherFrame.Acks());
        Assert.Equal("i2", Assert.Single(otherFrame.Actions()).ModelId());
    }

    [Fact]
    public async Task Push_over_the_socket_answers_pushResult_and_its_actions_then_arrive_live_with_the_ack()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "c1");
        long handshake = (await live.ExpectAsync("handshake")).LastSyncId();

        await live.SendAsync(new JsonObject
        {
            ["type"] = "push",
            ["requestId"] = "r1",
            ["clientId"] = "c1",
            ["mutations"] = new JsonArray(M(1, "createTeam", new { id = "t1", name = "Over the socket" }), M(2, "createProject", new { id = "p1", teamId = "t1", name = "P" })),
        });

        // The sync frames and the pushResult race each other on the socket; read until both are in.
        var frames = new List<JsonElement>();
        JsonElement? pushResult = null;
        while (pushResult is null || frames.Count == 0 || frames[^1].Type() != "sync" || frames[^1].LastSyncId() < pushResult.Value.GetProperty("results")[1].GetProperty("lastSyncId").GetInt64())
        {
            JsonElement frame = await ReceiveFrameAsync(live);
            if (frame.Type() == "pushResult")
            {
                Assert.Null(pushResult);
                pushResult = frame;
            }
            else
            {
                Assert.Contains(frame.Type(), new[] { "sync", "groups" });
                frames.Add(frame);
            }
        }
        Assert.Equal("r1", pushResult.Value.GetProperty("requestId").GetString());
        Assert.Equal(2, pushResult.Value.GetProperty("lastMutationId").GetInt64());
        Assert.All(pushResult.Value.GetProperty("results").EnumerateArray(), r => Assert.Equal("applied", r.GetProperty("status").GetString()));
        Frames.AssertChained(handshake, frames);
        List<JsonElement> actions = Frames.ActionsOf(frames);
        Assert.Equal(Frames.Texts(await alice.AllActionsAsync(handshake)), Frames.Texts(actions));
        Assert.Equal([("team", "t1"), ("member", "t1:alice"), ("project", "p1")], actions.Select(a => (a.ModelName(), a.ModelId())));
        Assert.Equal(2, frames.Where(f => f.Type() == "sync").Select(f => f.Acks()).Last(a => a is not null)!["c1"]);
        // Creating a team made alice a member: her groups change before the team's record is delivered.
        JsonElement groups = Assert.Single(frames, f => f.Type() == "groups");
        Assert.Equal(["team:t1", "user:alice"], groups.SyncGroups());
        int teamFrame = frames.FindIndex(f => f.Type() == "sync" && f.Actions().Any(a => a.ModelId() == "t1"));
        Assert.True(frames.IndexOf(groups) < teamFrame, "the groups frame came after the team's record");
    }

    [Fact]
    public async Task Push_over_the_socket_with_a_gap_answers_mutation_gap_in_pushResult_and_the_socket_stays_open()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "c1");
        long handshake = (await live.ExpectAsync("handshake")).LastSyncId();

        await live.SendAsync(new JsonObject { ["type"] = "push", ["requestId"] = "r7", ["clientId"] = "c1", ["mutations"] = new JsonArray(M(2, "createTeam", new { id = "t1", name = "T" })) });

        JsonElement result = await live.ExpectAsync("pushResult");
        Assert.Equal("r7", result.GetProperty("requestId").GetString());
        JsonElement error = result.GetProperty("error");
        Assert.Equal("mutation_gap", error.GetProperty("code").GetString());
        Assert.Equal(1, error.GetProperty("expected").GetInt64());
        Assert.False(result.TryGetProperty("results", out _));
        await live.SendAsync(new JsonObject { ["type"] = "ping" });
        await live.ExpectAsync("pong");
        Assert.Equal(handshake, await alice.HeadAsync());
    }

    [Fact]
    public async Task Push_over_the_socket_with_a_clientId_of_another_user_is_answered_forbidden()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        long created = await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "T" });
        // Connected after the fan-out passed alice's commit, so the next frame can only be the push's answer (on
        // PostgreSQL the tailer sometimes published it just after the handshake: a position-only sync frame first).
        await FanoutProbe.WaitForAsync(server, created);
        await using LiveClient mallory = await LiveClient.ConnectAsync(server, "mallory", "m1");
        await mallory.ExpectAsync("handshake");

        await mallory.SendAsync(new JsonObject { ["type"] = "push", ["requestId"] = "r1", ["clientId"] = "c1", ["mutations"] = new JsonArray(M(2, "createTeam", new { id = "t2", name = "T" })) });

        JsonElement result = await mallory.ExpectAsync("pushResult");
        Assert.Equal("forbidden", result.GetProperty("error").GetProperty("code").GetString());
        // Nothing was written: the head (which counts every action, visible to alice or not) did not move, mallory
        // (who would be the new team's member) sees no team, and alice's client still expects mutation 2.
        Assert.Equal(created, await alice.HeadAsync());
        using SyncApi malloryApi = server.Api("mallory");
        Assert.Empty(await malloryApi.AllActionsAsync());
        Assert.Equal("applied", (await alice.PushAsync("c1", M(2, "createTeam", new { id = "t3", name = "T" }))).GetProperty("results")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Live_connection_with_a_clientId_of_another_user_is_refused_so_it_cannot_read_that_clients_acks()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "T" });

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer dev:mallory");
        var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/sync/live", Query = "clientId=c1" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);

        using SyncApi mallory = server.Api("mallory");
        using HttpResponseMessage events = await mallory.Http.GetAsync("/sync/events?clientId=c1", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, events.StatusCode);
        await Errors.ReadAsync(events, "forbidden");

        // Alice's own connection with her clientId is of course accepted.
        await using LiveClient own = await LiveClient.ConnectAsync(server, "alice", "c1");
        await own.ExpectAsync("handshake");
    }

    [Fact]
    public async Task Frame_that_is_not_JSON_gets_an_error_frame_and_then_the_socket_is_closed()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        await live.Socket.SendAsync("{\"type\":"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

        JsonElement error = (await live.ExpectAsync("error")).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.DoesNotContain("Exception", error.GetRawText());
        Assert.Null(await live.ReceiveAsync());
    }

    [Fact]
    public async Task Ping_is_answered_with_pong()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        await live.SendAsync(new JsonObject { ["type"] = "ping" });
        await live.ExpectAsync("pong");
        await live.SendAsync(new JsonObject { ["type"] = "ping" });
        await live.ExpectAsync("pong");
    }

    [Fact]
    public async Task Idle_connection_gets_empty_sync_frames_at_the_current_position_as_heartbeats()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        using SyncApi alice = server.Api("alice");
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        long handshake = (await live.ExpectAsync("handshake")).LastSyncId();

        JsonElement first = await live.ExpectAsync("sync");
        JsonElement second = await live.ExpectAsync("sync");
        Assert.Equal(handshake, first.LastSyncId());
        Assert.Empty(first.Actions());
        Assert.Equal(handshake, second.LastSyncId());
        Assert.Empty(second.Actions());

        long created = await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "T" });
        List<JsonElement> frames = await live.ReadUntilAsync(created);
        JsonElement after = await live.ExpectAsync("sync");

        Frames.AssertChained(handshake, [.. frames, after]);
        Assert.Equal(created, after.LastSyncId());
        Assert.Empty(after.Actions());
    }

    [Fact]
    public async Task Idle_SSE_stream_gets_heartbeat_events_whose_id_is_the_current_position()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        using SyncApi alice = server.Api("alice");
        long created = await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "T" });
        await FanoutProbe.WaitForAsync(server, created);
        await using SseClient sse = await SseClient.ConnectAsync(alice);

        (long handshakeId, JsonElement handshake) = await sse.ReceiveAsync();
        (long heartbeatId, JsonElement heartbeat) = await sse.ReceiveAsync();

        Assert.Equal("handshake", handshake.Type());
        Assert.Equal(created, handshakeId);
        Assert.Equal("sync", heartbeat.Type());
        Assert.Empty(heartbeat.Actions());
        Assert.Equal(created, heartbeat.LastSyncId());
        Assert.Equal(created, heartbeatId);
    }

    [Fact]
    public async Task Unknown_frame_type_gets_an_error_frame_and_then_the_socket_is_closed_as_a_protocol_error()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        await live.SendAsync(new JsonObject { ["type"] = "subscribe" });

        JsonElement error = (await live.ExpectAsync("error")).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.Contains("subscribe", error.GetProperty("message").GetString());
        JsonElement? next = await live.ReceiveAsync();
        Assert.Null(next);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_frame_holding_an_unpaired_surrogate_gets_an_error_frame_and_then_a_1007_close()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        await live.Socket.SendAsync("""{"type":"\ud800"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

        JsonElement error = (await live.ExpectAsync("error")).GetProperty("error");
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        Assert.Contains("surrogate", error.GetProperty("message").GetString());
        Assert.Null(await live.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task Schema_mismatch_is_refused_with_409_before_the_upgrade()
    {
        await using TestServer server = await TestServer.StartAsync();

        // A WebSocket client only sees that the upgrade failed, and with which status.
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer dev:alice");
        var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/sync/live", Query = "clientId=c1&schema=99" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Conflict, socket.HttpStatusCode);

        // The same upgrade request by hand shows the error body.
        using SyncApi alice = server.Api("alice");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sync/live?clientId=c1");
        request.Headers.Remove(ProtocolHeaders.Schema);
        request.Headers.Add(ProtocolHeaders.Schema, "99");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.Authorization = alice.Http.DefaultRequestHeaders.Authorization;
        using HttpResponseMessage response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "schema_mismatch");
        Assert.Equal(1, error.GetProperty("supported").GetProperty("min").GetInt32());
        Assert.Equal(1, error.GetProperty("supported").GetProperty("max").GetInt32());
    }

    private static async Task<JsonElement> ReceiveFrameAsync(LiveClient live)
    {
        JsonElement? frame = await live.ReceiveAsync();
        Assert.True(frame is not null, "the server closed the socket");
        return frame.Value;
    }
}
