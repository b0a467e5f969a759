using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D9: on the LiveStore WebSocket the frame <c>{"_tag":"\ud800"}</c> ended in an unhandled exception and a
/// 1000 (normal) close, and <c>"cursor":{"_tag":false}</c> closed the socket with 1011.</summary>
public sealed class D9_livestore_socket_closed_wrongly_on_ill_formed_frames
{
    [Fact]
    public async Task A_frame_whose_tag_is_an_unpaired_surrogate_closes_with_1007_invalid_payload()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);

        await SendAsync(socket, """{"_tag":"\ud800"}""");

        (WebSocketCloseStatus? status, List<string> frames) = await ReadToCloseAsync(socket);
        Assert.Empty(frames);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
    }

    [Fact]
    public async Task A_pull_whose_cursor_tag_is_not_a_string_fails_as_InvalidPull_and_the_socket_stays_open()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);

        await SendAsync(socket, """{"_tag":"Request","id":"1","tag":"SyncWsRpc.Pull","payload":{"storeId":"s","live":true,"cursor":{"_tag":false}},"traceId":"t","spanId":"s","sampled":false,"headers":[]}""");
        JsonElement exit = JsonDocument.Parse(await ReceiveAsync(socket)).RootElement;
        await SendAsync(socket, """{"_tag":"Ping"}""");
        JsonElement pong = JsonDocument.Parse(await ReceiveAsync(socket)).RootElement;

        Assert.Equal("Exit", exit.GetProperty("_tag").GetString());
        Assert.Equal("1", exit.GetProperty("requestId").GetString());
        Assert.Equal("InvalidPull", exit.GetProperty("exit").GetProperty("cause").GetProperty("error").GetProperty("cause").GetProperty("name").GetString());
        Assert.Equal("Pong", pong.GetProperty("_tag").GetString());
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task A_JSON_frame_that_is_no_RPC_message_closes_with_1002_protocol_error()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket socket = await ConnectAsync(server);

        await SendAsync(socket, """{"_tag":false}""");

        (WebSocketCloseStatus? status, _) = await ReadToCloseAsync(socket);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, status);
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestServer server)
    {
        string payload = Uri.EscapeDataString(Uri.EscapeDataString("""{"authToken":"dev:alice"}"""));
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/livestore?storeId=s&transport=ws&payload={payload}"), TestContext.Current.CancellationToken);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string json)
        => socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var message = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>Reads until the server's close frame; returns its status and the messages before it.</summary>
    private static async Task<(WebSocketCloseStatus? Status, List<string> Frames)> ReadToCloseAsync(ClientWebSocket socket)
    {
        var frames = new List<string>();
        byte[] buffer = new byte[16 * 1024];
        while (true)
        {
            WebSocketReceiveResult received = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (socket.CloseStatus, frames);
            }
            frames.Add(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
    }
}
