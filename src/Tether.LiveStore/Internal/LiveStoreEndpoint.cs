using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>The sync endpoint: a WebSocket upgrade (<c>transport=ws</c>) or one HTTP POST per request
/// (<c>transport=http</c>). The path does not matter to the client; the query says everything.</summary>
internal sealed partial class LiveStoreEndpoint(
    Admissions admissions,
    ITetherRequestGuard guard,
    RpcHandler handler,
    LiveStoreMetrics metrics,
    IOptions<LiveStoreOptions> options,
    ILogger<LiveStoreEndpoint> logger)
{
    public async Task HandleAsync(HttpContext http)
    {
        Admission? admission = await admissions.AdmitAsync(http).ConfigureAwait(false);
        if (admission is null)
        {
            await WriteProblemAsync(http, ErrorCodes.BadRequest, "The storeId query parameter is required (well-formed text).").ConfigureAwait(false);
            return;
        }
        // The upgrade and every HTTP request take from the user's budget, the one every front end shares.
        TimeSpan? rateLimited = admission.UserId is { } user ? guard.TryTakeRequest(user) : null;
        if (http.WebSockets.IsWebSocketRequest)
        {
            using IDisposable? connection = rateLimited is null && admission.UserId is { } owner ? guard.TryOpenConnection(owner) : null;
            using System.Net.WebSockets.WebSocket socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            if (rateLimited is not null || admission.UserId is not null && connection is null)
            {
                // Refused after the upgrade, not before: the client reports a close's reason, never a refused upgrade.
                string reason = rateLimited is not null ? ErrorResults.RateLimited.Message : guard.TooManyConnections.Message;
                await LiveStoreSocket.RefuseAsync(socket, reason, http.RequestAborted).ConfigureAwait(false);
                return;
            }
            metrics.Connections.Add(1);
            try
            {
                using CancellationTokenSource expired = guard.WatchTokenExpiry(http);
                await new LiveStoreSocket(socket, admission, handler, guard, options.Value, logger).RunAsync(http.RequestAborted, expired.Token).ConfigureAwait(false);
            }
            finally
            {
                metrics.Connections.Add(-1);
            }
            return;
        }
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            await WriteProblemAsync(http, ErrorCodes.BadRequest, "Use a WebSocket (transport=ws) or POST one request (transport=http).").ConfigureAwait(false);
            return;
        }
        await HandlePostAsync(http, admission, rateLimited).ConfigureAwait(false);
    }

    /// <summary>The HTTP transport: one request in the body, its answers as a JSON array.</summary>
    private async Task HandlePostAsync(HttpContext http, Admission admission, TimeSpan? rateLimited)
    {
        int max = options.Value.MaxMessageBytes;
        byte[]? body = await BodyReader.ReadAsync(http, max).ConfigureAwait(false);
        if (body is null)
        {
            await WriteProblemAsync(http, ErrorCodes.PayloadTooLarge, $"Requests are limited to {max} bytes.").ConfigureAwait(false);
            return;
        }
        RpcMessage? message = RpcMessage.Read(body, out string? problem);
        if (problem is not null)
        {
            await WriteProblemAsync(http, ErrorCodes.BadRequest, problem).ConfigureAwait(false);
            return;
        }
        if (message is not { Tag: "Request", Id: { } id, RpcTag: { } rpc } request)
        {
            await WriteProblemAsync(http, ErrorCodes.BadRequest, "The body is not an RPC request of the sync protocol.").ConfigureAwait(false);
            return;
        }
        var frames = new List<byte[]>();
        ValueTask Collect(byte[] frame, CancellationToken _)
        {
            frames.Add(frame);
            return ValueTask.CompletedTask;
        }
        try
        {
            if (rateLimited is { } retryAfter)
            {
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                ErrorResults.SetRetryAfter(http.Response, retryAfter);
                frames.Add(RpcFrames.UnknownError(id, RpcFrames.RateLimited, ErrorResults.RateLimited.Message));
            }
            else if (admission.Refusal is { } refusal)
            {
                frames.Add(RpcFrames.UnknownError(id, "Forbidden", refusal));
            }
            else
            {
                switch (rpc)
                {
                    case "SyncHttpRpc.Ping":
                        frames.Add(RpcFrames.PingAnswer(id));
                        break;
                    case "SyncHttpRpc.Pull" when RpcPayloads.TryReadPull(request.Payload, out string? pullError) is { } pull && pull.StoreId == admission.StoreId:
                        await handler.PullAsync(id, pull, live: false, admission.UserId, Collect, http.RequestAborted).ConfigureAwait(false);
                        break;
                    case "SyncHttpRpc.Pull":
                        frames.Add(RpcFrames.UnknownError(id, "InvalidPull", "The pull is malformed or names another store than the query."));
                        break;
                    case "SyncHttpRpc.Push" when RpcPayloads.TryReadPush(request.Payload, options.Value, out string? pushError) is { } push && push.StoreId == admission.StoreId:
                        frames.Add(await handler.PushAsync(id, push, admission.UserId, http.RequestAborted).ConfigureAwait(false));
                        break;
                    case "SyncHttpRpc.Push":
                        frames.Add(RpcFrames.UnknownError(id, "InvalidPush", "The push is malformed or names another store than the query."));
                        break;
                    default:
                        frames.Add(RpcFrames.UnknownError(id, "UnknownRpc", $"'{rpc}' is not an RPC of the HTTP sync protocol."));
                        break;
                }
            }
        }
        catch (PullInterruptedException e)
        {
            await WriteProblemAsync(http, ErrorCodes.Unavailable, e.Message).ConfigureAwait(false);
            return;
        }
        http.Response.ContentType = "application/json";
        await using Stream output = http.Response.Body;
        await output.WriteAsync("["u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
        for (int i = 0; i < frames.Count; i++)
        {
            if (i > 0)
            {
                await output.WriteAsync(","u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
            }
            await output.WriteAsync(frames[i], http.RequestAborted).ConfigureAwait(false);
        }
        await output.WriteAsync("]"u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Errors outside the RPC protocol (no storeId, not a request) in Tether's error shape.</summary>
    private static Task WriteProblemAsync(HttpContext http, string code, string message)
        => ErrorResults.WriteAsync(http, new ErrorBody(code, message));
}
