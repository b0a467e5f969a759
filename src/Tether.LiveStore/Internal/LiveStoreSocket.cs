using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>
/// One LiveStore WebSocket: one JSON message per text frame each way. Requests run concurrently (pulls stream,
/// pushes wait for the commit); every answer goes through one send queue, so frames never interleave and a Pong is
/// queued at once even while a pull streams its history.
/// </summary>
internal sealed partial class LiveStoreSocket(
    WebSocket socket,
    Admission admission,
    RpcHandler handler,
    ITetherRequestGuard guard,
    LiveStoreOptions options,
    ILogger logger)
{
    private const int OrphanCloseCode = 4001;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Math.Max(1, options.OutgoingQueueCapacity)) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _requests = new(StringComparer.Ordinal);
    // Stops the requests and the orphan timer. The receive loop is not cancelled by it: cancelling a receive aborts
    // the socket, and the close code must reach the client (the 0.4.0 client acts on 4001).
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _closeLock = new();
    private WebSocketCloseStatus? _closeStatus;
    private string _closeReason = "";
    private bool _sawRequest;
    private int _livePulls;

    /// <summary>Serves the socket until the client leaves, the server stops, or <paramref name="tokenExpired"/> fires
    /// (the token of its payload expired: it is closed with 1008 and the reason).</summary>
    public async Task RunAsync(CancellationToken aborted, CancellationToken tokenExpired)
    {
        using CancellationTokenRegistration expiry = tokenExpired.Register(() => Close(WebSocketCloseStatus.PolicyViolation, ErrorResults.TokenExpired.Message));
        Task sending = SendLoopAsync(aborted);
        Task orphan = CloseIfNoRequestAsync(_stopping.Token);
        try
        {
            await ReceiveLoopAsync(aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
        catch (WebSocketException e)
        {
            LogSocketEnded(e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault of the server's own: the client reconnects and pulls from its cursor; the details stay here.
            LogReceiveFailed(e);
            Close(WebSocketCloseStatus.InternalServerError, "The server failed; reconnect.");
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "");
            await AwaitQuietlyAsync(sending).ConfigureAwait(false);
            await AwaitQuietlyAsync(orphan).ConfigureAwait(false);
            await WebSocketMessage.LingerAsync(socket, CloseHandshakeTimeout, aborted).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            using WebSocketMessage message = await WebSocketMessage.ReceiveAsync(socket, options.MaxMessageBytes, cancellationToken).ConfigureAwait(false);
            switch (message.Result)
            {
                case WebSocketRead.Closed:
                    return;
                case WebSocketRead.TooBig:
                    Close(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {options.MaxMessageBytes} bytes.");
                    continue;
            }
            // Once closing, what the client still sends is read and dropped until its own close arrives (or the send
            // loop's timeout aborts the socket): a server that stopped reading would tear the connection down with
            // those frames unread, and the reset can destroy the close frame before the client reads it.
            if (!IsClosing)
            {
                Dispatch(message.Memory);
            }
        }
    }

    private bool IsClosing
    {
        get
        {
            lock (_closeLock)
            {
                return _closeStatus is not null;
            }
        }
    }

    /// <summary>Handles one message, or closes the connection: 1007 when the message is not well-formed JSON text,
    /// 1002 when it is JSON but not a message of the protocol.</summary>
    private void Dispatch(ReadOnlyMemory<byte> json)
    {
        RpcMessage? message = RpcMessage.Read(json, out string? problem);
        if (problem is not null)
        {
            Close(WebSocketCloseStatus.InvalidPayloadData, problem);
            return;
        }
        switch (message)
        {
            case { Tag: "Ping" }:
                Enqueue(RpcFrames.Pong);
                return;
            case { Tag: "Request", Id: { } id, RpcTag: { } rpc }:
                _sawRequest = true;
                if (admission.UserId is { } userId && guard.TryTakeRequest(userId) is not null)
                {
                    Enqueue(RpcFrames.UnknownError(id, RpcFrames.RateLimited, ErrorResults.RateLimited.Message));
                    return;
                }
                Start(id, rpc, message.Payload);
                return;
            case { Tag: "Interrupt", Id: { } id }:
                if (_requests.TryRemove(id, out CancellationTokenSource? running))
                {
                    running.Cancel();
                }
                return;
            case { Tag: "Ack" or "Eof" }:
                // Acks are the client's backpressure signal; the bounded send queue already paces each connection.
                return;
            default:
                Close(WebSocketCloseStatus.ProtocolError, "A message is not an RPC message of the sync protocol.");
                return;
        }
    }

    private void Start(string id, string rpc, JsonElement payload)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        if (!_requests.TryAdd(id, cancellation))
        {
            cancellation.Dispose();
            Enqueue(RpcFrames.UnknownError(id, "DuplicateRequestId", $"Request id '{id}' is already running on this connection."));
            return;
        }
        _ = RunRequestAsync(id, rpc, payload, cancellation);
    }

    private async Task RunRequestAsync(string id, string rpc, JsonElement payload, CancellationTokenSource cancellation)
    {
        try
        {
            if (admission.Refusal is { } refusal)
            {
                await SendAsync(RpcFrames.UnknownError(id, "Forbidden", refusal), cancellation.Token).ConfigureAwait(false);
                return;
            }
            switch (rpc)
            {
                case "SyncWsRpc.Pull":
                    PullPayload? pull = RpcPayloads.TryReadPull(payload, out string? pullError);
                    if (pull is null || pull.StoreId != admission.StoreId)
                    {
                        await SendAsync(RpcFrames.UnknownError(id, "InvalidPull", pullError ?? "The pull names another store than the connection."), cancellation.Token).ConfigureAwait(false);
                        return;
                    }
                    bool isLive = !payload.TryGetProperty("live", out JsonElement live) || live.ValueKind != JsonValueKind.False;
                    await PullAsync(id, pull, isLive, cancellation.Token).ConfigureAwait(false);
                    return;
                case "SyncWsRpc.Push":
                    PushPayload? push = RpcPayloads.TryReadPush(payload, options, out string? pushError);
                    if (push is null || push.StoreId != admission.StoreId)
                    {
                        await SendAsync(RpcFrames.UnknownError(id, "InvalidPush", pushError ?? "The push names another store than the connection."), cancellation.Token).ConfigureAwait(false);
                        return;
                    }
                    await SendAsync(await handler.PushAsync(id, push, admission.UserId, cancellation.Token).ConfigureAwait(false), cancellation.Token).ConfigureAwait(false);
                    return;
                default:
                    await SendAsync(RpcFrames.UnknownError(id, "UnknownRpc", $"'{rpc}' is not an RPC of the WebSocket sync protocol."), cancellation.Token).ConfigureAwait(false);
                    return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException && cancellation.IsCancellationRequested)
        {
            // Interrupted by the client, or the connection is closing.
        }
        catch (PullInterruptedException e)
        {
            // The client turns a closed socket into IsOfflineError and pulls again from its cursor.
            Close(WebSocketCloseStatus.EndpointUnavailable, e.Message);
        }
        catch (Exception e)
        {
            LogRequestFailed(e, rpc);
            Close(WebSocketCloseStatus.InternalServerError, "The request failed; reconnect.");
        }
        finally
        {
            _requests.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, cancellation));
            cancellation.Dispose();
        }
    }

    /// <summary>A pull; a live one holds a fan-out subscription for as long as it runs, so a socket may hold only
    /// so many.</summary>
    private async Task PullAsync(string id, PullPayload pull, bool live, CancellationToken cancellationToken)
    {
        int max = options.MaxLivePullsPerSocket;
        if (live && Interlocked.Increment(ref _livePulls) > max && max > 0)
        {
            Interlocked.Decrement(ref _livePulls);
            await SendAsync(RpcFrames.UnknownError(id, "TooManyLivePulls", $"A connection may follow at most {max} live pulls; interrupt one first."), cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            await handler.PullAsync(id, pull, live, admission.UserId, SendAsync, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (live)
            {
                Interlocked.Decrement(ref _livePulls);
            }
        }
    }

    /// <summary>Closes a socket that was accepted only to say why it may not be used (1008 and the reason).</summary>
    public static async Task RefuseAsync(WebSocket socket, string reason, CancellationToken aborted)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(CloseHandshakeTimeout);
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client did not answer the close in time, or went away: the socket is gone either way.
        }
    }

    private ValueTask SendAsync(byte[] frame, CancellationToken cancellationToken) => _outgoing.Writer.WriteAsync(frame, cancellationToken);

    private bool Enqueue(byte[] frame)
    {
        if (!_outgoing.Writer.TryWrite(frame))
        {
            // The queue is full (a pull streams): the frame waits for room, off the receive loop.
            _ = WaitAndSendAsync(frame);
        }
        return true;
    }

    private async Task WaitAndSendAsync(byte[] frame)
    {
        try
        {
            await SendAsync(frame, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The connection is closing; the client will not need the answer.
        }
    }

    /// <summary>Sends the queued frames in order; once the queue is completed (closing), sends the close frame.</summary>
    private async Task SendLoopAsync(CancellationToken aborted)
    {
        await foreach (byte[] frame in _outgoing.Reader.ReadAllAsync(aborted).ConfigureAwait(false))
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, aborted).ConfigureAwait(false);
        }
        WebSocketCloseStatus status;
        string reason;
        lock (_closeLock)
        {
            status = _closeStatus ?? WebSocketCloseStatus.NormalClosure;
            reason = _closeReason;
        }
        if (await WebSocketMessage.SendCloseAsync(socket, status, reason, CloseHandshakeTimeout, aborted).ConfigureAwait(false))
        {
            // A client that never answers the close would keep the receive loop waiting.
            _ = AbortLaterAsync(aborted);
        }
    }

    private async Task AbortLaterAsync(CancellationToken aborted)
    {
        try
        {
            await Task.Delay(CloseHandshakeTimeout, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    /// <summary>The 0.4.0 client, after a ping timeout, reopens its socket but keeps waiting on the pull of the old
    /// one and never sends a new request; closing such a socket makes it fail that pull and pull again.</summary>
    private async Task CloseIfNoRequestAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(options.FirstRequestTimeout, cancellationToken).ConfigureAwait(false);
        if (!Volatile.Read(ref _sawRequest))
        {
            Close((WebSocketCloseStatus)OrphanCloseCode, "No request was sent on this connection; pull again.");
        }
    }

    /// <summary>Stops the requests, lets the queued frames go out, then closes with <paramref name="status"/> (the
    /// first reason given wins).</summary>
    private void Close(WebSocketCloseStatus status, string reason)
    {
        lock (_closeLock)
        {
            if (_closeStatus is not null)
            {
                return;
            }
            _closeStatus = status;
            _closeReason = reason;
        }
        _stopping.Cancel();
        _outgoing.Writer.TryComplete();
    }

    private static async Task AwaitQuietlyAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The connection ended; the requests were stopped with it.
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "LiveStore socket ended: {Reason}.")]
    private partial void LogSocketEnded(string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "A LiveStore {Rpc} request failed.")]
    private partial void LogRequestFailed(Exception exception, string rpc);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "A LiveStore socket failed while reading a message.")]
    private partial void LogReceiveFailed(Exception exception);
}
