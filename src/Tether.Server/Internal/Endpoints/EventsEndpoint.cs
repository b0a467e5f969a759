using System.Globalization;
using Tether.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Server.Internal.Auth;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Live;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary><c>GET /sync/events</c>: the live stream as Server-Sent Events. With <c>from</c> (or
/// <c>Last-Event-ID</c>) the server does the catch-up itself, since an EventSource cannot ask for a delta.</summary>
internal sealed class EventsEndpoint(RequestGuard guard, UserConnections connections, ITetherStore store, FanoutHub hub, GroupResolution groups, TetherMetrics metrics, IOptions<TetherServerOptions> options)
{
    private static readonly KeyValuePair<string, object?> Transport = new("transport", "sse");

    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        string? fromText = http.Request.Headers["Last-Event-ID"];
        if (string.IsNullOrEmpty(fromText))
        {
            fromText = http.Request.Query["from"];
        }
        long? from = null;
        if (!string.IsNullOrEmpty(fromText))
        {
            if (!long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
            {
                await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, "'from' and Last-Event-ID are syncIds >= 0."));
                return;
            }
            from = parsed;
        }
        (string? clientId, ErrorBody? clientError) = await ClientIdQuery.ReadAsync(http.Request, store, userId, http.RequestAborted);
        if (clientError is not null)
        {
            await ErrorResults.WriteAsync(http, clientError);
            return;
        }
        using IDisposable? connection = await connections.OpenAsync(http, userId, "sse");
        if (connection is null)
        {
            return;
        }
        CancellationToken aborted = http.RequestAborted;
        if (from is { } position)
        {
            // A client may hold data of commits the fan-out has not published yet; its stream must not start before it.
            await hub.WaitForPositionAsync(position, TimeSpan.FromSeconds(5), aborted);
        }
        using LogSubscription subscription = hub.Subscribe(options.Value.Limits.LiveQueueCapacity);
        IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, aborted);
        if (from is { } start && await CheckResyncAsync(start, aborted) is { } resync)
        {
            await ErrorResults.WriteAsync(http, resync);
            return;
        }

        ServerSentEvents.Start(http.Response);
        metrics.Connections.Add(1, Transport);
        try
        {
            var session = new LiveSession(userId, clientId, userGroups, subscription.StartSyncId, groups);
            // With a catch-up to come, the handshake's event id stays at `from`: a reconnect after it resumes there, not
            // past the catch-up it did not receive.
            long handshakeEventId = from is { } catchUpStart ? Math.Min(catchUpStart, subscription.StartSyncId) : subscription.StartSyncId;
            await SendAsync(http, new OutgoingFrame(FrameJson.Handshake(subscription.StartSyncId, userGroups), handshakeEventId), aborted);
            if (from is { } catchUpFrom && !await CatchUpAsync(http, catchUpFrom, subscription.StartSyncId, userGroups))
            {
                return;
            }
            // The stream ends when the token expires; the client reconnects with a new one.
            using CancellationTokenSource expired = TokenDeadline.Watch(http);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, subscription.Cut, expired.Token);
            await LiveLoop.RunAsync(subscription, session, frame => SendAsync(http, frame, stop.Token), options.Value.HeartbeatInterval, stop.Token);
            if (expired.IsCancellationRequested && !aborted.IsCancellationRequested)
            {
                await SendAsync(http, new OutgoingFrame(FrameJson.Error(ErrorResults.TokenExpired), session.LastSyncId), aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested || subscription.Cut.IsCancellationRequested)
        {
            // The client went away or could not keep up; EventSource reconnects with Last-Event-ID.
        }
        finally
        {
            metrics.Connections.Add(-1, Transport);
        }
    }

    private async Task<ErrorBody?> CheckResyncAsync(long from, CancellationToken cancellationToken)
    {
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken);
        return DeltaQuery.NeedsResync(snapshot, from) ? DeltaEndpoint.Resync(snapshot) : null;
    }

    /// <summary>Sends what the user may read in (from, upTo] as sync frames, page by page. False when a compaction
    /// overtook it: the stream then ends with an error frame, and the client learns by delta to bootstrap again.</summary>
    private async Task<bool> CatchUpAsync(HttpContext http, long from, long upTo, IReadOnlySet<string> userGroups)
    {
        int limit = options.Value.Limits.MaxDeltaLimit;
        long position = from;
        while (position < upTo)
        {
            DeltaPage page;
            await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted))
            {
                if (position < snapshot.Horizon)
                {
                    await SendAsync(http, new OutgoingFrame(FrameJson.Error(DeltaEndpoint.Resync(snapshot)), position), http.RequestAborted);
                    return false;
                }
                page = await DeltaQuery.ReadAsync(snapshot, position, upTo, userGroups, limit, http.RequestAborted);
            }
            await SendAsync(http, new OutgoingFrame(FrameJson.Sync(page), page.LastSyncId), http.RequestAborted);
            position = page.LastSyncId;
        }
        return true;
    }

    // A JSON frame has no raw newlines, so one data line carries it whole.
    private static Task SendAsync(HttpContext http, OutgoingFrame frame, CancellationToken cancellationToken)
        => ServerSentEvents.WriteEventAsync(http.Response, frame.Json, frame.LastSyncId, cancellationToken);
}
