using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests.Harness;

/// <summary>A raw sync-cf WebSocket client: frames in, frames out, exactly as the LiveStore client writes and reads
/// them, to test the server's side of the protocol rule by rule.</summary>
public sealed class WireClient : IAsyncDisposable
{
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(20);
    private readonly WebSocket _socket;
    // Frames read while waiting for another request's answer (an echo can overtake its push's ack).
    private readonly List<JsonElement> _unclaimed = [];
    private int _nextId;

    private WireClient(WebSocket socket) => _socket = socket;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseStatusDescription => _socket.CloseStatusDescription;

    public static async Task<WireClient> ConnectAsync(TestServer server, string storeId, string? token = "dev:alice")
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(Url(server, storeId, token, "ws", websocket: true), TestContext.Current.CancellationToken);
        return new WireClient(socket);
    }

    /// <summary>Connects and sends a pull in the same write as the upgrade request, so the server has the request
    /// before the socket is even open on its side: a socket that certainly sent a request in time, however slow the
    /// machine. Returns the client and the pull's request id.</summary>
    public static async Task<(WireClient Client, string PullId)> ConnectWithPullAsync(TestServer server, string storeId, string? token = "dev:alice")
    {
        Uri url = Url(server, storeId, token, "ws", websocket: true);
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port, TestContext.Current.CancellationToken);
        System.Net.Sockets.NetworkStream stream = tcp.GetStream();
        string key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        byte[] upgrade = Encoding.ASCII.GetBytes(
            $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n");
        const string pullId = "0";
        JsonObject pull = Request(pullId, "SyncWsRpc.Pull", new JsonObject { ["storeId"] = storeId, ["live"] = true, ["cursor"] = new JsonObject { ["_tag"] = "None" } });
        await stream.WriteAsync((byte[])[.. upgrade, .. MaskedTextFrame(Encoding.UTF8.GetBytes(pull.ToJsonString()))], TestContext.Current.CancellationToken);

        // The answer's head, read byte by byte so that nothing of the first WebSocket frame is taken with it.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, TestContext.Current.CancellationToken) == 0)
            {
                throw new IOException($"The server closed the connection during the upgrade: {head}");
            }
            head.Append((char)one[0]);
        }
        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        return (new WireClient(socket) { _nextId = 1 }, pullId);
    }

    /// <summary>One final text frame as a client sends it (masked).</summary>
    private static byte[] MaskedTextFrame(byte[] payload)
    {
        var frame = new List<byte> { 0x81 };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            frame.AddRange([0x80 | 126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        byte[] mask = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        return [.. frame];
    }

    /// <summary>The endpoint's URL with the query the client builds, the payload double-encoded as it does.</summary>
    public static Uri Url(TestServer server, string storeId, string? token, string transport, bool websocket)
    {
        string payload = token is null ? "" : "&payload=" + Uri.EscapeDataString(Uri.EscapeDataString(JsonSerializer.Serialize(new { authToken = token })));
        string scheme = websocket ? "ws" : "http";
        return new Uri($"{scheme}://127.0.0.1:{server.BaseAddress.Port}/livestore?storeId={Uri.EscapeDataString(storeId)}{payload}&transport={transport}");
    }

    public string NextId() => (_nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task SendAsync(JsonNode message) => SendRawAsync(Encoding.UTF8.GetBytes(message.ToJsonString()));

    public async Task SendRawAsync(byte[] bytes)
        => await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);

    /// <summary>Sends a pull request and returns its id.</summary>
    public async Task<string> PullAsync(string storeId, long? after = null, string? backendId = null, bool live = true)
    {
        string id = NextId();
        JsonNode cursor = after is null ? new JsonObject { ["_tag"] = "None" }
            : new JsonObject { ["_tag"] = "Some", ["value"] = new JsonObject { ["backendId"] = backendId, ["eventSequenceNumber"] = after } };
        await SendAsync(Request(id, "SyncWsRpc.Pull", new JsonObject { ["storeId"] = storeId, ["live"] = live, ["cursor"] = cursor }));
        return id;
    }

    /// <summary>Sends a push request and returns its id.</summary>
    public async Task<string> PushAsync(string storeId, IEnumerable<JsonNode> batch, string? backendId = null)
    {
        string id = NextId();
        JsonNode backend = backendId is null ? new JsonObject { ["_tag"] = "None" } : new JsonObject { ["_tag"] = "Some", ["value"] = backendId };
        await SendAsync(Request(id, "SyncWsRpc.Push", new JsonObject { ["storeId"] = storeId, ["batch"] = new JsonArray([.. batch]), ["backendId"] = backend }));
        return id;
    }

    public static JsonObject Request(string id, string tag, JsonObject payload) => new()
    {
        ["_tag"] = "Request",
        ["id"] = id,
        ["tag"] = tag,
        ["payload"] = payload,
        ["traceId"] = "t",
        ["spanId"] = "s",
        ["sampled"] = false,
        ["headers"] = new JsonArray(),
    };

    /// <summary>A chain of events <paramref name="first"/>.. <paramref name="first"/>+count-1 on parent first-1.</summary>
    public static IEnumerable<JsonNode> Events(long first, int count, string clientId = "client-a", Func<long, JsonNode>? args = null)
        => Enumerable.Range(0, count).Select(i => (JsonNode)new JsonObject
        {
            ["name"] = "v1.TodoCreated",
            ["args"] = args?.Invoke(first + i) ?? new JsonObject { ["id"] = $"todo-{first + i}", ["text"] = $"Todo {first + i}" },
            ["seqNum"] = first + i,
            ["parentSeqNum"] = first + i - 1,
            ["clientId"] = clientId,
            ["sessionId"] = "static",
        });

    /// <summary>The next frame (a Pong, Chunk or Exit), or null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan? timeout = null)
    {
        if (_unclaimed.Count > 0)
        {
            JsonElement first = _unclaimed[0];
            _unclaimed.RemoveAt(0);
            return first;
        }
        return await ReadFrameAsync(timeout);
    }

    private async Task<JsonElement?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout ?? FrameTimeout);
        using var message = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer, limit.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("The server sent no frame in time.");
            }
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

    /// <summary>The next frame that answers <paramref name="requestId"/>; frames of other requests (and Pongs) are
    /// kept, in order, for whoever expects them.</summary>
    public async Task<JsonElement> ExpectAsync(string requestId)
    {
        int kept = _unclaimed.FindIndex(frame => Answers(frame, requestId));
        if (kept >= 0)
        {
            JsonElement frame = _unclaimed[kept];
            _unclaimed.RemoveAt(kept);
            return frame;
        }
        while (true)
        {
            JsonElement frame = await ReadFrameAsync() ?? throw new InvalidOperationException($"The server closed the socket ({CloseStatus}) before answering request {requestId}.");
            if (Answers(frame, requestId))
            {
                return frame;
            }
            _unclaimed.Add(frame);
        }
    }

    private static bool Answers(JsonElement frame, string requestId)
        => frame.TryGetProperty("requestId", out JsonElement id) && id.GetString() == requestId;

    /// <summary>Reads the pull's chunks until one says NoMore; returns every chunk's response.</summary>
    public async Task<List<JsonElement>> ReadUntilNoMoreAsync(string requestId)
    {
        var responses = new List<JsonElement>();
        while (true)
        {
            JsonElement frame = await ExpectAsync(requestId);
            Assert.Equal("Chunk", frame.GetProperty("_tag").GetString());
            JsonElement response = frame.GetProperty("values")[0];
            responses.Add(response);
            if (response.GetProperty("pageInfo").GetProperty("_tag").GetString() == "NoMore")
            {
                return responses;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server may already be gone (restart tests).
            }
        }
        _socket.Dispose();
    }
}

public static class Frames
{
    public static string Tag(this JsonElement frame) => frame.GetProperty("_tag").GetString()!;

    /// <summary>The error of a failed Exit, e.g. <c>{"_tag":"ServerAheadError",…}</c>.</summary>
    public static JsonElement Failure(this JsonElement frame)
    {
        Assert.Equal("Exit", frame.Tag());
        JsonElement exit = frame.GetProperty("exit");
        Assert.True(exit.GetProperty("_tag").GetString() == "Failure", $"expected a failure, got {frame}");
        return exit.GetProperty("cause").GetProperty("error");
    }

    public static void AssertSuccess(this JsonElement frame)
    {
        Assert.Equal("Exit", frame.Tag());
        Assert.True(frame.GetProperty("exit").GetProperty("_tag").GetString() == "Success", $"expected success, got {frame}");
    }

    public static long[] SeqNums(this IEnumerable<JsonElement> responses)
        => [.. responses.SelectMany(r => r.GetProperty("batch").EnumerateArray()).Select(e => e.GetProperty("eventEncoded").GetProperty("seqNum").GetInt64())];
}
