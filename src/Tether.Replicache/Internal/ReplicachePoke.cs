using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server;
using Tether.Server.Extensibility;
using Tether.Server.Storage;

namespace Tether.Replicache.Internal;

/// <summary>
/// <c>GET /replicache/poke?clientGroupID=…</c>: Server-Sent Events whose only message is <c>poke</c>, sent when a
/// commit touched something the client group may read (its user's groups, or its own clients' records); the app
/// answers with <c>rep.pull()</c>. It carries no data, so a missed poke costs only latency (the next one, or the
/// client's periodic pull, brings everything).
/// </summary>
internal sealed class ReplicachePoke(ITetherRequestGuard guard, ITetherStore store, ITetherLogFeed feed, ISyncGroupResolver groups, IOptions<TetherServerOptions> options, IOptions<ReplicacheOptions> replicache)
{
    private static readonly byte[] Poke = "poke"u8.ToArray();

    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http).ConfigureAwait(false);
        if (userId is null)
        {
            return;
        }
        string? clientGroupId = http.Request.Query["clientGroupID"];
        if (!ReplicacheRecords.IsGroupId(clientGroupId, replicache.Value))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, "The query parameter " + ReplicacheRecords.GroupIdRule(replicache.Value))).ConfigureAwait(false);
            return;
        }
        CancellationToken aborted = http.RequestAborted;
        await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(aborted).ConfigureAwait(false))
        {
            if (await ReplicacheRecords.OwnerProblemAsync(snapshot, clientGroupId, userId, aborted).ConfigureAwait(false) is { } forbidden)
            {
                await ErrorResults.WriteAsync(http, forbidden).ConfigureAwait(false);
                return;
            }
        }
        using IDisposable? connection = guard.TryOpenConnection(userId);
        if (connection is null)
        {
            await ErrorResults.WriteAsync(http, guard.TooManyConnections, guard.ConnectionRetryAfter).ConfigureAwait(false);
            return;
        }
        using LogSubscription subscription = feed.Subscribe(options.Value.Limits.LiveQueueCapacity);
        HashSet<string> readable = await ReadableAsync(userId, clientGroupId, aborted).ConfigureAwait(false);
        ServerSentEvents.Start(http.Response);
        // A first poke: whatever committed before this stream opened is pulled too.
        await WriteAsync(http, aborted).ConfigureAwait(false);
        // The stream ends when the token expires; the client reconnects with a new one.
        using CancellationTokenSource expired = guard.WatchTokenExpiry(http);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, subscription.Cut, expired.Token);
        try
        {
            while (true)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                beat.CancelAfter(options.Value.HeartbeatInterval);
                LogBatch batch;
                try
                {
                    if (!await subscription.Batches.WaitToReadAsync(beat.Token).ConfigureAwait(false) || !subscription.Batches.TryRead(out batch!))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    await ServerSentEvents.WriteHeartbeatAsync(http.Response, stop.Token).ConfigureAwait(false);
                    continue;
                }
                if (batch.GroupChanges.Any(change => change.UserId == userId))
                {
                    readable = await ReadableAsync(userId, clientGroupId, stop.Token).ConfigureAwait(false);
                    await WriteAsync(http, stop.Token).ConfigureAwait(false);
                }
                else if (batch.Entries.Any(entry => entry.SyncGroups.Any(readable.Contains)))
                {
                    await WriteAsync(http, stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left, the stream was cut for being slow, or its token expired: it reconnects and pulls.
        }
    }

    private async Task<HashSet<string>> ReadableAsync(string userId, string clientGroupId, CancellationToken cancellationToken)
    {
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken).ConfigureAwait(false);
        var readable = new HashSet<string>(await groups.ResolveAsync(userId, snapshot, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal)
        {
            ReplicacheRecords.SyncGroup(clientGroupId),
        };
        return readable;
    }

    private static Task WriteAsync(HttpContext http, CancellationToken cancellationToken)
        => ServerSentEvents.WriteEventAsync(http.Response, Poke, id: null, cancellationToken);
}
