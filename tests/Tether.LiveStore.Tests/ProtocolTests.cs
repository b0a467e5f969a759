using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests;

/// <summary>The sync-cf 0.4 rules, frame by frame, against the real server.</summary>
public sealed class ProtocolTests
{
    private static TestServerSettings Settings(TimeSpan? firstRequestTimeout = null) => new()
    {
        Builder = builder => builder.Services.Configure<LiveStoreOptions>(o => o.FirstRequestTimeout = firstRequestTimeout ?? TimeSpan.FromMinutes(1)),
    };

    [Fact]
    public async Task A_ping_is_answered_with_a_pong()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "s1");
        await client.SendAsync(new JsonObject { ["_tag"] = "Ping" });
        Assert.Equal("Pong", (await client.ReceiveAsync())!.Value.Tag());
    }

    [Fact]
    public async Task A_pull_of_a_new_store_answers_an_empty_NoMore_chunk_with_the_stores_backendId_and_stays_open()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "fresh");
        string pull = await client.PullAsync("fresh");

        JsonElement response = Assert.Single(await client.ReadUntilNoMoreAsync(pull));

        Assert.Empty(response.GetProperty("batch").EnumerateArray());
        string backendId = response.GetProperty("backendId").GetString()!;
        Assert.NotEmpty(backendId);
        LiveStoreInfo stored = Assert.Single(await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync());
        Assert.Equal(new LiveStoreInfo("fresh", backendId, 0), stored);
        // A live pull never ends: the next frame is the pong of a ping sent now.
        await client.SendAsync(new JsonObject { ["_tag"] = "Ping" });
        Assert.Equal("Pong", (await client.ReceiveAsync())!.Value.Tag());
    }

    [Fact]
    public async Task An_accepted_push_is_acknowledged_and_echoed_to_every_live_pull_including_the_pushers()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient alice = await WireClient.ConnectAsync(server, "shared");
        await using WireClient bob = await WireClient.ConnectAsync(server, "shared", "dev:bob");
        string alicePull = await alice.PullAsync("shared");
        string bobPull = await bob.PullAsync("shared");
        string backendId = (await alice.ReadUntilNoMoreAsync(alicePull))[0].GetProperty("backendId").GetString()!;
        await bob.ReadUntilNoMoreAsync(bobPull);

        string push = await alice.PushAsync("shared", WireClient.Events(1, 3), backendId);

        JsonElement ack = await alice.ExpectAsync(push);
        ack.AssertSuccess();
        Assert.Equal(JsonValueKind.Object, ack.GetProperty("exit").GetProperty("value").ValueKind);
        foreach ((WireClient client, string pull) in new[] { (alice, alicePull), (bob, bobPull) })
        {
            JsonElement echo = Assert.Single(await client.ReadUntilNoMoreAsync(pull));
            Assert.Equal([1L, 2L, 3L], new[] { echo }.SeqNums());
            JsonElement first = echo.GetProperty("batch")[0];
            Assert.Equal("v1.TodoCreated", first.GetProperty("eventEncoded").GetProperty("name").GetString());
            Assert.Equal("client-a", first.GetProperty("eventEncoded").GetProperty("clientId").GetString());
            Assert.Equal("static", first.GetProperty("eventEncoded").GetProperty("sessionId").GetString());
            Assert.Equal("SyncMessage.SyncMetadata", first.GetProperty("metadata").GetProperty("value").GetProperty("_tag").GetString());
        }
    }

    [Fact]
    public async Task A_push_that_does_not_continue_the_head_fails_with_ServerAheadError_and_writes_nothing()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        (await client.ExpectAsync(await client.PushAsync("s", WireClient.Events(1, 4)))).AssertSuccess();

        JsonElement error = (await client.ExpectAsync(await client.PushAsync("s", WireClient.Events(1, 2, "client-c")))).Failure();

        Assert.Equal("ServerAheadError", error.GetProperty("_tag").GetString());
        Assert.Equal(4, error.GetProperty("minimumExpectedNum").GetInt64());
        Assert.Equal(0, error.GetProperty("providedNum").GetInt64());
        // The offline client rebases on the head and pushes again.
        (await client.ExpectAsync(await client.PushAsync("s", WireClient.Events(5, 2, "client-c")))).AssertSuccess();
        string pull = await client.PullAsync("s", live: false);
        long[] all = (await client.ReadUntilNoMoreAsync(pull)).SeqNums();
        Assert.Equal([1L, 2, 3, 4, 5, 6], all);
        Assert.Equal(6, (await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync()).Single().Head);
    }

    [Fact]
    public async Task A_push_or_pull_naming_another_backendId_fails_with_BackendIdMismatchError()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        string pull = await client.PullAsync("s", live: false);
        string backendId = (await client.ReadUntilNoMoreAsync(pull))[0].GetProperty("backendId").GetString()!;

        JsonElement pushError = (await client.ExpectAsync(await client.PushAsync("s", WireClient.Events(1, 1), "another-backend"))).Failure();
        JsonElement pullError = (await client.ExpectAsync(await client.PullAsync("s", after: 0, backendId: "another-backend"))).Failure();

        foreach (JsonElement error in new[] { pushError, pullError })
        {
            Assert.Equal("BackendIdMismatchError", error.GetProperty("_tag").GetString());
            Assert.Equal(backendId, error.GetProperty("expected").GetString());
            Assert.Equal("another-backend", error.GetProperty("received").GetString());
        }
        Assert.Equal(0, (await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync()).Single().Head);
    }

    [Fact]
    public async Task History_comes_in_chunks_of_at_most_100_with_MoreKnown_and_a_cursor_pulls_the_rest()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "big");
        for (int first = 1; first <= 250; first += 50)
        {
            (await client.ExpectAsync(await client.PushAsync("big", WireClient.Events(first, 50)))).AssertSuccess();
        }

        List<JsonElement> all = await client.ReadUntilNoMoreAsync(await client.PullAsync("big", live: false));

        Assert.Equal([100, 100, 50], all.Select(r => r.GetProperty("batch").GetArrayLength()));
        Assert.Equal(["MoreKnown:150", "MoreKnown:50", "NoMore:"], all.Select(r => r.GetProperty("pageInfo")).Select(p =>
            p.GetProperty("_tag").GetString() + ":" + (p.TryGetProperty("remaining", out JsonElement n) ? n.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "")));
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), all.SeqNums());
        string backendId = all[0].GetProperty("backendId").GetString()!;
        List<JsonElement> rest = await client.ReadUntilNoMoreAsync(await client.PullAsync("big", after: 180, backendId: backendId, live: false));
        Assert.Equal(Enumerable.Range(181, 70).Select(i => (long)i), rest.SeqNums());
    }

    [Fact]
    public async Task Args_come_back_equal_in_meaning_and_events_of_a_megabyte_and_more_pass_both_ways()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "args");
        var odd = JsonNode.Parse("""{"text":"héllo \u2603 \"quoted\"","n":12345678901234567890,"f":1.5e300,"nested":{"a":[1,null,true,{"b":"c"}]},"empty":{}}""")!;
        string big = new('x', 1_500_000);
        JsonNode[] batch = [.. WireClient.Events(1, 2, args: seq => seq == 1 ? odd.DeepClone() : new JsonObject { ["blob"] = big })];

        (await client.ExpectAsync(await client.PushAsync("args", batch))).AssertSuccess();

        List<JsonElement> pulled = await client.ReadUntilNoMoreAsync(await client.PullAsync("args", live: false));
        JsonElement[] events = [.. pulled.SelectMany(r => r.GetProperty("batch").EnumerateArray()).Select(e => e.GetProperty("eventEncoded"))];
        Assert.True(JsonNode.DeepEquals(odd, JsonNode.Parse(events[0].GetProperty("args").GetRawText())), events[0].GetProperty("args").GetRawText());
        Assert.Equal(big, events[1].GetProperty("args").GetProperty("blob").GetString());
        // The 1.5 MB event is too big to share a chunk under the 900 KB budget.
        Assert.Equal(2, pulled.Count);
    }

    [Fact]
    public async Task Any_store_id_works_and_stores_are_kept_apart()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        string[] ids = ["sync-provider (ws) › with spaces / slashes", "ünïcödé-☃", new string('L', 300), "s:looks-like-a-key"];
        foreach (string id in ids)
        {
            await using WireClient client = await WireClient.ConnectAsync(server, id);
            (await client.ExpectAsync(await client.PushAsync(id, WireClient.Events(1, 2, clientId: id.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))))).AssertSuccess();
        }
        foreach (string id in ids)
        {
            await using WireClient client = await WireClient.ConnectAsync(server, id);
            List<JsonElement> pulled = await client.ReadUntilNoMoreAsync(await client.PullAsync(id, live: false));
            long[] seqNums = pulled.SeqNums();
            Assert.Equal([1L, 2], seqNums);
            Assert.All(pulled[0].GetProperty("batch").EnumerateArray(), e => Assert.Equal(id.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), e.GetProperty("eventEncoded").GetProperty("clientId").GetString()));
        }
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync()).Select(s => s.StoreId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_subscription_opened_while_others_push_misses_nothing_and_repeats_nothing()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient writer = await WireClient.ConnectAsync(server, "race");
        const int pushes = 60;
        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < pushes; i++)
            {
                (await writer.ExpectAsync(await writer.PushAsync("race", WireClient.Events(i * 5 + 1, 5)))).AssertSuccess();
            }
        });
        var readers = new List<(WireClient Client, string Pull)>();
        for (int i = 0; i < 6; i++)
        {
            WireClient reader = await WireClient.ConnectAsync(server, "race");
            readers.Add((reader, await reader.PullAsync("race")));
            await Task.Delay(15);
        }
        await writing;

        foreach ((WireClient reader, string pull) in readers)
        {
            var seen = new List<long>();
            while (seen.Count < pushes * 5)
            {
                seen.AddRange((await reader.ReadUntilNoMoreAsync(pull)).SeqNums());
            }
            Assert.Equal(Enumerable.Range(1, pushes * 5).Select(i => (long)i), seen);
            await reader.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_socket_that_sends_no_request_is_closed_with_4001_so_a_stuck_client_pulls_again()
    {
        await using TestServer server = await TestServer.StartAsync(Settings(firstRequestTimeout: TimeSpan.FromMilliseconds(300)));
        // The busy socket's pull travels with its upgrade request: the server has it before the socket's timer starts,
        // however slow the machine, and the timer (started before the idle socket's) has run out when the idle one closes.
        (WireClient busy, string pull) = await WireClient.ConnectWithPullAsync(server, "s");
        await using WireClient _ = busy;
        await busy.ReadUntilNoMoreAsync(pull);
        await using WireClient idle = await WireClient.ConnectAsync(server, "s");

        // A ping is not a request: the socket that only pings is closed all the same (its Pong may or may not come
        // first, depending on how fast the machine is; on a loaded one the close can win).
        await idle.SendAsync(new JsonObject { ["_tag"] = "Ping" });
        var beforeClose = new List<string>();
        while (await idle.ReceiveAsync() is { } frame)
        {
            beforeClose.Add(frame.Tag());
        }

        Assert.All(beforeClose, tag => Assert.Equal("Pong", tag));
        Assert.Equal((WebSocketCloseStatus)4001, idle.CloseStatus);
        await busy.SendAsync(new JsonObject { ["_tag"] = "Ping" });
        Assert.Equal("Pong", (await busy.ReceiveAsync())!.Value.Tag());
    }

    [Fact]
    public async Task Requests_without_a_valid_token_or_to_another_users_private_store_are_refused_with_a_reason()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient anonymous = await WireClient.ConnectAsync(server, "shared", token: null);
        await using WireClient bob = await WireClient.ConnectAsync(server, "user-alice-notes", "dev:bob");
        await using WireClient alice = await WireClient.ConnectAsync(server, "user-alice-notes", "dev:alice");

        JsonElement noToken = (await anonymous.ExpectAsync(await anonymous.PushAsync("shared", WireClient.Events(1, 1)))).Failure();
        JsonElement notHis = (await bob.ExpectAsync(await bob.PullAsync("user-alice-notes"))).Failure();

        Assert.Equal("UnknownError", noToken.GetProperty("_tag").GetString());
        Assert.Contains("authToken", noToken.GetProperty("cause").GetProperty("message").GetString());
        Assert.Contains("may not use store 'user-alice-notes'", notHis.GetProperty("cause").GetProperty("message").GetString());
        (await alice.ExpectAsync(await alice.PushAsync("user-alice-notes", WireClient.Events(1, 1)))).AssertSuccess();
        Assert.DoesNotContain(await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync(), s => s.StoreId == "shared");
    }

    [Fact]
    public async Task Malformed_input_gets_a_clear_error_and_writes_nothing()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        JsonNode[] broken = [.. WireClient.Events(1, 3)];
        broken[2]!["parentSeqNum"] = 1;
        JsonNode[] noName = [.. WireClient.Events(1, 1)];
        noName[0]!.AsObject().Remove("name");

        JsonElement chain = (await client.ExpectAsync(await client.PushAsync("s", broken))).Failure();
        JsonElement missing = (await client.ExpectAsync(await client.PushAsync("s", noName))).Failure();
        JsonElement otherStore = (await client.ExpectAsync(await client.PushAsync("elsewhere", WireClient.Events(1, 1)))).Failure();

        Assert.Contains("parentSeqNum 1 is not the previous event's seqNum 2", chain.GetProperty("cause").GetProperty("message").GetString());
        Assert.Contains("name", missing.GetProperty("cause").GetProperty("message").GetString());
        Assert.Equal("UnknownError", otherStore.GetProperty("_tag").GetString());
        Assert.Empty(await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync());
        await client.SendRawAsync(Encoding.UTF8.GetBytes("not json"));
        Assert.Null(await client.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, client.CloseStatus);
    }

    [Fact]
    public async Task A_reset_gives_the_store_a_new_backendId_empties_it_and_fails_live_pulls_with_BackendIdMismatchError()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        await using WireClient client = await WireClient.ConnectAsync(server, "r");
        (await client.ExpectAsync(await client.PushAsync("r", WireClient.Events(1, 3)))).AssertSuccess();
        string pull = await client.PullAsync("r");
        string oldBackend = (await client.ReadUntilNoMoreAsync(pull))[0].GetProperty("backendId").GetString()!;

        LiveStoreInfo reset = await server.Services.GetRequiredService<LiveStoreAdmin>().ResetStoreAsync("r");

        JsonElement error = (await client.ExpectAsync(pull)).Failure();
        Assert.Equal("BackendIdMismatchError", error.GetProperty("_tag").GetString());
        Assert.Equal(reset.BackendId, error.GetProperty("expected").GetString());
        Assert.NotEqual(oldBackend, reset.BackendId);
        Assert.Equal(0, reset.Head);
        await using WireClient again = await WireClient.ConnectAsync(server, "r");
        JsonElement empty = Assert.Single(await again.ReadUntilNoMoreAsync(await again.PullAsync("r", live: false)));
        Assert.Empty(empty.GetProperty("batch").EnumerateArray());
        (await again.ExpectAsync(await again.PushAsync("r", WireClient.Events(1, 1), reset.BackendId))).AssertSuccess();
    }

    [Fact]
    public async Task The_HTTP_transport_answers_ping_pull_and_push_as_json_arrays()
    {
        await using TestServer server = await TestServer.StartAsync(Settings());
        using var http = new HttpClient();
        Uri url = WireClient.Url(server, "h", "dev:alice", "http", websocket: false);
        async Task<JsonElement> PostAsync(JsonObject request)
        {
            using HttpResponseMessage response = await http.PostAsJsonAsync(url, request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            JsonElement frames = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            Assert.Equal(JsonValueKind.Array, frames.ValueKind);
            return frames;
        }

        JsonElement ping = await PostAsync(WireClient.Request("0", "SyncHttpRpc.Ping", new JsonObject { ["storeId"] = "h" }));
        JsonElement push = await PostAsync(WireClient.Request("1", "SyncHttpRpc.Push", new JsonObject
        {
            ["storeId"] = "h",
            ["batch"] = new JsonArray([.. WireClient.Events(1, 2)]),
            ["backendId"] = new JsonObject { ["_tag"] = "None" },
        }));
        JsonElement pull = await PostAsync(WireClient.Request("2", "SyncHttpRpc.Pull", new JsonObject { ["storeId"] = "h", ["cursor"] = new JsonObject { ["_tag"] = "None" } }));

        Assert.Equal("SyncMessage.Pong", Assert.Single(ping.EnumerateArray()).GetProperty("exit").GetProperty("value").GetProperty("_tag").GetString());
        Assert.Single(push.EnumerateArray()).AssertSuccess();
        JsonElement[] frames = [.. pull.EnumerateArray()];
        Assert.Equal(["Chunk", "Exit"], frames.Select(f => f.Tag()));
        Assert.Equal([1L, 2], new[] { frames[0].GetProperty("values")[0] }.SeqNums());
    }
}
