using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>One message a fuzzer sends on a WebSocket: its bytes, text or binary, in one or more fragments.</summary>
internal sealed record FuzzFrame(string Strategy, byte[] Bytes, WebSocketMessageType Type, int Fragments)
{
    public string Describe() => $"{Strategy} ({Type}, {Fragments} fragment(s), {Bytes.Length} bytes): {FuzzRequest.Printable(Bytes, 400)}";
}

/// <summary>
/// Sends fuzz frames on one connection (a new one once the server closed it). After each frame it sends a sentinel,
/// a request of the protocol with an id of its own, and reads until its answer: the server survived the frame (and
/// every frame read on the way belongs to it), or it closed the socket, in which case
/// the close must be a close frame with one of <see cref="AllowedCloses"/> (never 1011, never 1000 for a frame it
/// refused, never an abort). Every frame the server sends is checked like an HTTP body.
/// </summary>
internal sealed class WebSocketFuzzTarget(Uri url, string? subProtocol, Func<string, string> sentinel, Func<JsonElement, string, bool> answersSentinel) : IAsyncDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(20);
    private ClientWebSocket? _socket;
    private int _sentinels;

    /// <summary>What a server may close with after a frame it refuses: protocol error, invalid payload, policy, too
    /// big, or a code of the application's own range (LiveStore's 4001).</summary>
    public static bool AllowedCloses(int code) => code is 1002 or 1007 or 1008 or 1009 or (>= 4000 and <= 4999);

    public async Task<(string Outcome, string? Problem)> SendAsync(FuzzFrame frame)
    {
        if (_socket is not { State: WebSocketState.Open })
        {
            _socket?.Dispose();
            _socket = null;
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader(RequestFuzz.CanaryHeader, RequestFuzz.Canary);
            if (subProtocol is not null)
            {
                socket.Options.AddSubProtocol(subProtocol);
            }
            using var connect = new CancellationTokenSource(AnswerTimeout);
            try
            {
                await socket.ConnectAsync(url, connect.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                socket.Dispose();
                return ("connect-failed", "the WebSocket did not connect: " + e.Message);
            }
            _socket = socket;
        }
        string sentinelId = "sentinel-" + _sentinels++;
        try
        {
            using var sending = new CancellationTokenSource(AnswerTimeout);
            await SendFragmentsAsync(_socket, frame, sending.Token);
            await _socket.SendAsync(Encoding.UTF8.GetBytes(sentinel(sentinelId)), WebSocketMessageType.Text, endOfMessage: true, sending.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The server may have closed already (after a fatal frame): its close frame is read below.
        }
        return await ReadUntilSentinelAsync(_socket, sentinelId);
    }

    private static async Task SendFragmentsAsync(ClientWebSocket socket, FuzzFrame frame, CancellationToken cancellationToken)
    {
        int size = Math.Max(1, (frame.Bytes.Length + frame.Fragments - 1) / frame.Fragments);
        for (int offset = 0; ; offset += size)
        {
            int count = Math.Min(size, frame.Bytes.Length - offset);
            bool last = offset + count >= frame.Bytes.Length;
            await socket.SendAsync(frame.Bytes.AsMemory(offset, Math.Max(count, 0)), frame.Type, last, cancellationToken);
            if (last)
            {
                return;
            }
        }
    }

    private async Task<(string Outcome, string? Problem)> ReadUntilSentinelAsync(ClientWebSocket socket, string sentinelId)
    {
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return await ClosedByServerAsync(socket);
                }
                string text = Encoding.UTF8.GetString(message.ToArray());
                if (ResponseChecks.CheckText(text) is { } problem)
                {
                    return ("frame", problem + " in a frame | " + FuzzRequest.Printable(message.ToArray(), 600));
                }
                if (AnswersSentinel(text, sentinelId))
                {
                    return ("open", null);
                }
            }
        }
        catch (OperationCanceledException)
        {
            _socket = null;
            socket.Dispose();
            return ("timeout", $"neither an answer to the sentinel nor a close within {AnswerTimeout.TotalSeconds} s");
        }
        catch (WebSocketException e)
        {
            _socket = null;
            socket.Dispose();
            return ("aborted", "the connection ended without a close frame: " + e.Message);
        }
    }

    private bool AnswersSentinel(string text, string sentinelId)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            return answersSentinel(document.RootElement, sentinelId);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<(string Outcome, string? Problem)> ClosedByServerAsync(ClientWebSocket socket)
    {
        int code = (int?)socket.CloseStatus ?? 1005;
        string reason = socket.CloseStatusDescription ?? "";
        _socket = null;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The server need not wait for the client's half of the close.
            }
        }
        socket.Dispose();
        string? problem = AllowedCloses(code) ? ResponseChecks.CheckText(reason) : $"closed with {code} (\"{reason}\") instead of answering the sentinel";
        return ($"close-{code}", problem);
    }

    /// <summary>Closes the connection from the client's side; the server's answer must be a close frame that is not
    /// 1011. Returns the problem, or null.</summary>
    public async Task<string?> CloseAsync()
    {
        if (_socket is not { State: WebSocketState.Open } socket)
        {
            return null;
        }
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            return socket.CloseStatus == WebSocketCloseStatus.InternalServerError ? "answered the client's close with 1011" : null;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            return "the client's close was not answered with a close frame: " + e.Message;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        return ValueTask.CompletedTask;
    }
}
