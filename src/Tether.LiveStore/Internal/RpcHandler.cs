using Tether.Mutators;
using Tether.Protocol;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tether.Server.Storage;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>Where a request's answers go: a WebSocket's send queue, or an HTTP response's array.</summary>
internal delegate ValueTask FrameSink(byte[] frame, CancellationToken cancellationToken);

/// <summary>The live stream of a pull ended without an answer the client can act on (the server is stopping, or
/// the connection was too slow for the fan-out): the connection is closed and the client pulls again.</summary>
internal sealed class PullInterruptedException(string message) : Exception(message);

/// <summary>Pull and push, the same for both transports: the protocol's rules over <see cref="EventLog"/>.</summary>
internal sealed class RpcHandler(EventLog log, ITetherLogFeed hub, LiveStoreMetrics metrics, IOptions<LiveStoreOptions> options)
{
    /// <summary>Sends the events after the cursor in chunks, then, when <paramref name="live"/>, every new event of
    /// the store as it is committed. The subscription is taken before the history is read, and events the history
    /// already sent are skipped, so nothing is missed or sent twice.</summary>
    public async Task PullAsync(string requestId, PullPayload pull, bool live, string? userId, FrameSink send, CancellationToken cancellationToken)
    {
        using LogSubscription? subscription = live ? hub.Subscribe(options.Value.LiveQueueCapacity) : null;
        (StoreState? state, long lastSent) = await SendHistoryAsync(requestId, pull, userId, send, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return;
        }
        if (subscription is null)
        {
            await send(RpcFrames.StreamEnd(requestId), cancellationToken).ConfigureAwait(false);
            return;
        }
        await FollowAsync(requestId, pull.StoreId, state.BackendId, lastSent, subscription, send, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the store and the last event sent, or a null store when the pull was answered with an error.</summary>
    private async Task<(StoreState? State, long LastSent)> SendHistoryAsync(string requestId, PullPayload pull, string? userId, FrameSink send, CancellationToken cancellationToken)
    {
        ITetherReadSnapshot snapshot = await log.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            StoreState? state = await EventLog.ReadStateAsync(snapshot, pull.StoreId, cancellationToken).ConfigureAwait(false);
            if (state is null)
            {
                // A store is created by its first use: its backendId must exist before any pull answers.
                await snapshot.DisposeAsync().ConfigureAwait(false);
                (state, string? refusal) = await log.EnsureAsync(pull.StoreId, QuotaOf(userId), userId).ConfigureAwait(false);
                if (refusal is not null)
                {
                    await send(RpcFrames.UnknownError(requestId, StoreQuota.RefusalName, refusal), cancellationToken).ConfigureAwait(false);
                    return (null, 0);
                }
                if (state is null)
                {
                    throw new PullInterruptedException("The store is unavailable.");
                }
                snapshot = await log.SnapshotAsync(cancellationToken).ConfigureAwait(false);
            }
            if (pull.CursorBackendId is { } known && known != state.BackendId)
            {
                await send(RpcFrames.BackendIdMismatch(requestId, state.BackendId, known), cancellationToken).ConfigureAwait(false);
                return (null, 0);
            }
            string key = StoreNames.Key(pull.StoreId);
            string group = StoreNames.Group(key);
            string after = pull.After == 0 ? StoreNames.BeforeFirstEvent(key) : StoreNames.EventId(key, pull.After);
            long lastSent = pull.After;
            bool sentAny = false;
            var chunk = new List<PullItem>();
            long bytes = 0;
            await foreach (StoredRecord record in snapshot.ReadRecordsAfterAsync(StoreNames.EventModel, group, after, cancellationToken).ConfigureAwait(false))
            {
                PullItem item = PullItems.FromRecord(record.Data);
                if (!Fits(chunk, bytes, item))
                {
                    // More follow (this item at least). A client numbers its events 1, 2, 3…, so the rest is the head
                    // minus the last sent; a store with gaps in its seqNums gets a count too high, never NoMore too early.
                    await send(RpcFrames.Chunk(requestId, chunk, Math.Max(1, state.Head - chunk[^1].SeqNum), state.BackendId), cancellationToken).ConfigureAwait(false);
                    lastSent = chunk[^1].SeqNum;
                    sentAny = true;
                    chunk = [];
                    bytes = 0;
                }
                chunk.Add(item);
                bytes += item.Json.Length;
            }
            if (chunk.Count > 0)
            {
                await send(RpcFrames.Chunk(requestId, chunk, null, state.BackendId), cancellationToken).ConfigureAwait(false);
                lastSent = chunk[^1].SeqNum;
                sentAny = true;
            }
            if (!sentAny)
            {
                // An empty store still answers: a client's first pull waits for this NoMore.
                await send(RpcFrames.Chunk(requestId, [], null, state.BackendId), cancellationToken).ConfigureAwait(false);
            }
            metrics.Pulls.Add(1);
            return (state, lastSent);
        }
        finally
        {
            await snapshot.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task FollowAsync(string requestId, string storeId, string backendId, long lastSent, LogSubscription subscription, FrameSink send, CancellationToken cancellationToken)
    {
        string group = StoreNames.Group(StoreNames.Key(storeId));
        var fresh = new List<PullItem>();
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, subscription.Cut);
        await foreach (LogBatch batch in subscription.Batches.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            fresh.Clear();
            foreach (LogBatchEntry entry in batch.Entries)
            {
                switch (LiveFeed.Translate(entry, group))
                {
                    case { Event: { } item } when item.SeqNum > lastSent && item.BackendId == backendId:
                        fresh.Add(item);
                        lastSent = item.SeqNum;
                        break;
                    case { BackendId: { } current } when current != backendId:
                        // The store was reset: what was sent so far belongs to another log.
                        await SendAsync(fresh).ConfigureAwait(false);
                        await send(RpcFrames.BackendIdMismatch(requestId, current, backendId), cut.Token).ConfigureAwait(false);
                        return;
                }
            }
            await SendAsync(fresh).ConfigureAwait(false);
        }
        throw new PullInterruptedException(subscription.Overflowed
            ? "The connection fell too far behind the store's new events."
            : "The server is stopping.");

        async ValueTask SendAsync(List<PullItem> items)
        {
            foreach (IReadOnlyList<PullItem> chunk in Chunks(items))
            {
                await send(RpcFrames.Chunk(requestId, chunk, null, backendId), cut.Token).ConfigureAwait(false);
            }
            metrics.EventsDelivered.Add(items.Count);
        }
    }

    /// <summary>Applies the push rules and answers with the ack or the typed error the client decodes.</summary>
    public async Task<byte[]> PushAsync(string requestId, PushPayload push, string? userId, CancellationToken callerGone)
    {
        // The pipeline's own clientId bookkeeping is not used; the sync actions name the LiveStore client for logs.
        string clientId = push.Batch.Count > 0 ? "livestore:" + push.Batch[0].ClientId : "livestore";
        WriteOutcome<StorePush> outcome = await log.PushAsync(push.StoreId, push.Batch, push.BackendId, clientId, QuotaOf(userId), userId, callerGone).ConfigureAwait(false);
        StorePush? pushed = outcome.Value;
        metrics.Pushes.Add(1, new KeyValuePair<string, object?>("outcome", pushed?.Verdict.ToString() ?? "failed"));
        switch (pushed?.Verdict)
        {
            case PushVerdict.Accepted:
                metrics.EventsPushed.Add(push.Batch.Count);
                return RpcFrames.PushAck(requestId);
            case PushVerdict.ServerAhead:
                return RpcFrames.ServerAhead(requestId, pushed.State.Head, push.Batch[0].ParentSeqNum);
            case PushVerdict.BackendIdMismatch:
                return RpcFrames.BackendIdMismatch(requestId, pushed.State.BackendId, push.BackendId!);
            case PushVerdict.TooManyStores:
                return RpcFrames.UnknownError(requestId, StoreQuota.RefusalName, pushed.Refusal!);
            default:
                // The client retries an UnknownError push with backoff, which is right for an unavailable store.
                ErrorBody error = outcome.Error!;
                return RpcFrames.UnknownError(requestId, "PushFailed", outcome.Status == WriteStatus.Unavailable ? error.Message : $"{error.Code}: {error.Message}");
        }
    }

    /// <summary>The stores a user may still create; a client the host admitted without a user is not counted.</summary>
    private StoreQuota? QuotaOf(string? userId)
        => userId is not null && options.Value.MaxStoresPerUser > 0 ? new StoreQuota(userId, options.Value.MaxStoresPerUser) : null;

    /// <summary>Pieces of at most <see cref="LiveStoreOptions.MaxEventsPerPullChunk"/> events and about 900 KB (a single
    /// larger event goes alone).</summary>
    private IEnumerable<IReadOnlyList<PullItem>> Chunks(IEnumerable<PullItem> items)
    {
        var chunk = new List<PullItem>();
        long bytes = 0;
        foreach (PullItem item in items)
        {
            if (!Fits(chunk, bytes, item))
            {
                yield return chunk;
                chunk = [];
                bytes = 0;
            }
            chunk.Add(item);
            bytes += item.Json.Length;
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private bool Fits(List<PullItem> chunk, long bytes, PullItem item)
        => chunk.Count == 0 || (chunk.Count < options.Value.MaxEventsPerPullChunk && bytes + item.Json.Length <= RpcFrames.MaxChunkBytes);
}
