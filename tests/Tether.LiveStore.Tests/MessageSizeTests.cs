using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests;

/// <summary>Messages are read whole however the client fragments them, and up to the size limit only.</summary>
public sealed class MessageSizeTests
{
    private static TestServerSettings Settings => new()
    {
        Builder = builder => builder.Services.Configure<LiveStoreOptions>(o =>
        {
            o.FirstRequestTimeout = TimeSpan.FromMinutes(1);
            o.MaxMessageBytes = 20_000;
        }),
    };

    [Fact]
    public async Task A_request_sent_in_fragments_is_read_whole()
    {
        await using TestServer server = await TestServer.StartAsync(Settings);
        JsonObject request = WireClient.Request("0", "SyncWsRpc.Push", new JsonObject
        {
            ["storeId"] = "s",
            ["batch"] = new JsonArray([.. WireClient.Events(1, 1, args: _ => new JsonObject { ["text"] = new string('x', 15_000) })]),
            ["backendId"] = new JsonObject { ["_tag"] = "None" },
        });
        byte[] bytes = Encoding.UTF8.GetBytes(request.ToJsonString());

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WireClient.Url(server, "s", "dev:alice", "ws", websocket: true), TestContext.Current.CancellationToken);
        for (int start = 0; start < bytes.Length; start += 4_000)
        {
            int length = Math.Min(4_000, bytes.Length - start);
            await socket.SendAsync(bytes.AsMemory(start, length), WebSocketMessageType.Text, endOfMessage: start + length == bytes.Length, TestContext.Current.CancellationToken);
        }
        byte[] buffer = new byte[4096];
        WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        JsonElement answer = JsonDocument.Parse(buffer.AsMemory(0, received.Count)).RootElement;
        answer.AssertSuccess();
    }

    [Fact]
    public async Task A_message_over_the_limit_closes_the_socket_with_1009()
    {
        await using TestServer server = await TestServer.StartAsync(Settings);
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        JsonObject request = WireClient.Request("0", "SyncWsRpc.Push", new JsonObject
        {
            ["storeId"] = "s",
            ["batch"] = new JsonArray([.. WireClient.Events(1, 1, args: _ => new JsonObject { ["text"] = new string('x', 30_000) })]),
            ["backendId"] = new JsonObject { ["_tag"] = "None" },
        });

        await client.SendAsync(request);

        Assert.Null(await client.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }
}
