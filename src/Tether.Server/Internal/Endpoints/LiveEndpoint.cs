using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal.Auth;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Live;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary><c>GET /sync/live</c>: the WebSocket. Server to client: handshake, then sync and groups frames in
/// order; client to server: push and ping.</summary>
internal sealed partial class LiveEndpoint(
    RequestGuard guard,
    UserConnections connections,
    FanoutHub hub,
    ITetherStore store,
    GroupResolution groups,
    PushEndpoint push,
    TetherJson json,
    TetherMetrics metrics,
    IOptions<TetherServerOptions> options,
    ILogger<LiveEndpoint> logger)
{
    private static readonly KeyValuePair<string, object?> Transport = new("transport", "websocket");

    public async Task HandleAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, "This endpoint speaks WebSocket only."));
            return;
        }
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        (string? clientId, ErrorBody? clientError) = await ClientIdQuery.ReadAsync(http.Request, store, userId, http.RequestAborted);
        if (clientError is not null)
        {
            await ErrorResults.WriteAsync(http, clientError);
            return;
        }
        using IDisposable? connection = await connections.OpenAsync(http, userId, "websocket");
        if (connection is null)
        {
            return;
        }
        string? subProtocol = http.WebSockets.WebSocketRequestedProtocols.Contains(ProtocolHeaders.WebSocketSubProtocol) ? ProtocolHeaders.WebSocketSubProtocol : null;
        using WebSocket socket = await http.WebSockets.AcceptWebSocketAsync(subProtocol);
        using LogSubscription subscription = hub.Subscribe(options.Value.Limits.LiveQueueCapacity);
        metrics.Connections.Add(1, Transport);
        try
        {
            await RunAsync(http, socket, subscription, userId, clientId);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away; it resumes with delta when it comes back.
        }
        catch (Exception e)
        {
            // A fault of the server (the store failing while groups were re-resolved, say): tell the client, which
            // reconnects and resumes by delta, and keep the details in the log.
            LogConnectionFailed(e, userId);
            await TryCloseWithErrorAsync(socket);
        }
        finally
        {
            metrics.Connections.Add(-1, Transport);
        }
    }

    private async Task RunAsync(HttpContext http, WebSocket socket, LogSubscription subscription, string userId, string? clientId)
    {
        // Sends end only when the client is gone or too slow (the cut); the outgoing loop's waiting ends earlier, when
        // the client closes its half, so that a frame being sent is never cut off halfway.
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, subscription.Cut);
        using CancellationTokenSource expired = TokenDeadline.Watch(http);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(sending.Token, expired.Token);
        // Receives end only when the client closes or goes, or after the close handshake timed out: cancelling a
        // receive aborts the socket, and the close frame (1008 for a slow reader) must still reach the client.
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var sendLock = new SemaphoreSlim(1, 1);
        async Task Send(byte[] frame)
        {
            await sendLock.WaitAsync(sending.Token);
            try
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, sending.Token);
            }
            finally
            {
                sendLock.Release();
            }
        }

        IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, sending.Token);
        var session = new LiveSession(userId, clientId, userGroups, subscription.StartSyncId, groups);
        await Send(FrameJson.Handshake(subscription.StartSyncId, userGroups));

        Task<LiveEnd> outgoing = LiveLoop.RunAsync(subscription, session, frame => Send(frame.Json), options.Value.HeartbeatInterval, waiting.Token);
        Task<WebSocketCloseStatus> incoming = ReceiveAsync(socket, userId, Send, receiving.Token);
        if (await Task.WhenAny(outgoing, incoming) == outgoing)
        {
            (WebSocketCloseStatus status, string reason) = await outgoing switch
            {
                LiveEnd.SlowReader => (WebSocketCloseStatus.PolicyViolation, "slow reader: resume with delta"),
                LiveEnd.ServerStopping => (WebSocketCloseStatus.EndpointUnavailable, "server stopping"),
                _ when expired.IsCancellationRequested => (WebSocketCloseStatus.PolicyViolation, TokenExpiredReason),
                _ => (WebSocketCloseStatus.NormalClosure, ""),
            };
            if (expired.IsCancellationRequested)
            {
                await Send(FrameJson.Error(ErrorResults.TokenExpired));
            }
            await CloseAsync(socket, status, reason);
            // The client answers the close; its receive half then ends by itself.
            await Task.WhenAny(incoming, Task.Delay(CloseTimeout));
            await sending.CancelAsync();
            await receiving.CancelAsync();
            await SettleAsync(incoming);
        }
        else
        {
            WebSocketCloseStatus status = await SettledStatusAsync(incoming);
            await waiting.CancelAsync();
            await SettleAsync(outgoing);
            await CloseAsync(socket, status, "");
            if (incoming.IsCompletedSuccessfully)
            {
                // A receive that failed left the socket unable to read on; only the linger below can help then.
                await WebSocketMessage.DrainUntilClosedAsync(socket, CloseTimeout);
            }
            await WebSocketMessage.LingerAsync(socket, CloseTimeout, http.RequestAborted);
        }
    }

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The close reason when the connection's token expired: the client reconnects with a new one.</summary>
    public const string TokenExpiredReason = "token expired: reconnect with a new token";

    private static Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
        => WebSocketMessage.SendCloseAsync(socket, status, reason, CloseTimeout);

    private static async Task<WebSocketCloseStatus> SettledStatusAsync(Task<WebSocketCloseStatus> incoming)
    {
        try
        {
            return await incoming;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return WebSocketCloseStatus.NormalClosure;
        }
    }

    /// <summary>Reads client frames until the client closes; answers pings and runs pushes in order.</summary>
    private async Task<WebSocketCloseStatus> ReceiveAsync(WebSocket socket, string userId, Func<byte[], Task> send, CancellationToken cancellationToken)
    {
        int maxBytes = options.Value.Limits.MaxBodyBytes;
        while (true)
        {
            byte[] message;
            using (WebSocketMessage received = await WebSocketMessage.ReceiveAsync(socket, maxBytes, cancellationToken))
            {
                switch (received.Result)
                {
                    case WebSocketRead.Closed:
                        return WebSocketCloseStatus.NormalClosure;
                    case WebSocketRead.TooBig:
                        await send(FrameJson.Error(PushEndpoint.TooLarge(options.Value.Limits)));
                        return WebSocketCloseStatus.MessageTooBig;
                }
                message = received.Memory.ToArray();
            }
            (byte[] answer, WebSocketCloseStatus? close) = await AnswerAsync(message, userId, cancellationToken);
            await send(answer);
            if (close is { } status)
            {
                return status;
            }
        }
    }

    /// <summary>The answer to one client frame, and the close that follows it when the server cannot understand the
    /// frame: 1007 when it is not well-formed JSON text, 1002 when it is JSON but not a frame of the protocol.</summary>
    private async Task<(byte[] Answer, WebSocketCloseStatus? Close)> AnswerAsync(byte[] message, string userId, CancellationToken connectionGone)
    {
        if (WellFormed.JsonProblem(message, json.Context.Options.MaxDepth) is { } problem)
        {
            return (FrameJson.Error(new ErrorBody(ErrorCodes.BadRequest, problem)), WebSocketCloseStatus.InvalidPayloadData);
        }
        TypedFrame? typed = JsonRequests.Parse(message, json.Context.TypedFrame, out ErrorBody? error);
        if (typed?.Type == FrameTypes.Ping)
        {
            return (JsonSerializer.SerializeToUtf8Bytes(new TypedFrame(FrameTypes.Pong), TetherJsonContext.Default.TypedFrame), null);
        }
        if (typed?.Type != FrameTypes.Push)
        {
            LogUnknownFrame(typed?.Type);
            return (FrameJson.Error(error ?? new ErrorBody(ErrorCodes.BadRequest, $"Unknown frame type '{typed?.Type}'.")), WebSocketCloseStatus.ProtocolError);
        }
        PushFrame? frame = JsonRequests.Parse(message, json.Context.PushFrame, out error);
        if (frame is null)
        {
            return (FrameJson.Error(error!), WebSocketCloseStatus.ProtocolError);
        }
        using Activity? activity = TetherActivities.StartPush(traceParent: null, traceState: null);
        WriteOutcome<PushResult> outcome = guard.TryTake(userId) is null
            ? await push.PushAsync(userId, new PushRequest(frame.ClientId, frame.Mutations), connectionGone)
            : WriteOutcome<PushResult>.Unavailable(ErrorResults.RateLimited);
        var result = new PushResultFrame(frame.RequestId)
        {
            Results = outcome.Value?.Results,
            LastMutationId = outcome.Value?.LastMutationId,
            Error = outcome.Error,
        };
        return (JsonSerializer.SerializeToUtf8Bytes(result, TetherJsonContext.Default.PushResultFrame), null);
    }

    /// <summary>Waits for a half of the connection that was cancelled; ending by cancellation or by the socket
    /// closing under it is the expected way for it to end.</summary>
    private static async Task SettleAsync(Task half)
    {
        try
        {
            await half;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    private static async Task TryCloseWithErrorAsync(WebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.SendAsync(FrameJson.Error(new ErrorBody(ErrorCodes.Internal, "The server failed; reconnect and resume.")), WebSocketMessageType.Text, true, timeout.Token);
            await socket.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The connection broke while it was being closed: it is gone either way.
        }
    }
}
