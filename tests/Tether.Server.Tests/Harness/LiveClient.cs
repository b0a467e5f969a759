using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Protocol;

namespace Tether.Server.Tests.Harness;

/// <summary>A real WebSocket to <c>/sync/live</c> reading one JSON frame per message.</summary>
public sealed class LiveClient : IAsyncDisposable
{
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(20);
    private readonly ClientWebSocket _socket = new();

    private LiveClient() { }

    public WebSocket Socket => _socket;

    /// <summary>Connects as <paramref name="userId"/> with a development token, or with <paramref name="token"/>.</summary>
    public static Task<LiveClient> ConnectAsync(TestServer server, string userId, string? clientId = null, string? query = null, string? token = null)
        => ConnectAsync(server.BaseAddress, userId, clientId, query, token);

    /// <summary>Connects to a server at <paramref name="baseAddress"/> (one in a process of its own).</summary>
    public static async Task<LiveClient> ConnectAsync(Uri baseAddress, string userId, string? clientId = null, string? query = null, string? token = null)
    {
        var client = new LiveClient();
        client._socket.Options.AddSubProtocol(ProtocolHeaders.WebSocketSubProtocol);
        client._socket.Options.SetRequestHeader("Authorization", "Bearer " + (token ?? "dev:" + userId));
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/sync/live", Query = (clientId is null ? "" : "clientId=" + clientId) + (query ?? "") };
        await client._socket.ConnectAsync(uri.Uri, CancellationToken.None);
        return client;
    }

    /// <summary>The next frame, or null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? FrameTimeout);
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, cancel.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }

    /// <summary>The next frame, which must exist and be of <paramref name="type"/>.</summary>
    public async Task<JsonElement> ExpectAsync(string type)
    {
        JsonElement? frame = await ReceiveAsync();
        Assert.True(frame is not null, $"the server closed the socket while a '{type}' frame was expected");
        Assert.Equal(type, frame.Value.GetProperty("type").GetString());
        return frame.Value;
    }

    public Task SendAsync(JsonNode frame)
        => _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cancel.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone; the socket is disposed either way.
            }
        }
        _socket.Dispose();
    }
}
