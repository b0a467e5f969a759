using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tether.LiveStore;

/// <summary>How the LiveStore front end admits clients and bounds what they send.</summary>
public sealed class LiveStoreOptions
{
    /// <summary>Decides whether a client may use a store. The default admits any user whose <c>authToken</c> (in the
    /// store's <c>syncPayload</c>) is a valid Tether token, to any store; refuse what your app must keep apart.</summary>
    public Func<LiveStoreAccessContext, ValueTask<bool>> Authorize { get; set; } = static context => ValueTask.FromResult(context.UserId is not null);

    /// <summary>Decides whether a signed-in user may list and reset stores through the endpoints of
    /// <see cref="LiveStoreExtensions.MapLiveStoreAdmin"/>. The default refuses everyone.</summary>
    public Func<LiveStoreAdminContext, ValueTask<bool>> AuthorizeAdmin { get; set; } = static _ => ValueTask.FromResult(false);

    /// <summary>The largest message a client may send (a push of big events); larger ones close the connection
    /// with 1009. LiveStore's own client sends at most about 900 KB per push.</summary>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Longest event name a push may carry, in characters; a longer one refuses the push.</summary>
    public int MaxEventNameLength { get; set; } = 512;

    /// <summary>Longest <c>clientId</c> or <c>sessionId</c> of a pushed event, in characters.</summary>
    public int MaxEventClientIdLength { get; set; } = 512;

    /// <summary>Most events in one pull chunk (a chunk also stays under the client's 900 KB message limit).</summary>
    public int MaxEventsPerPullChunk { get; set; } = 100;

    /// <summary>Frames one socket may have waiting to be sent; when the client reads slower than the server answers,
    /// its requests wait for room instead of growing the server's memory.</summary>
    public int OutgoingQueueCapacity { get; set; } = 256;

    /// <summary>A WebSocket that sends no request this long after opening is closed (code 4001): a 0.4.0 client
    /// that reconnected after a ping timeout keeps waiting on its old pull and must be made to pull again.</summary>
    public TimeSpan FirstRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Live pulls one socket may follow at once; one more is answered <c>UnknownError</c>
    /// <c>TooManyLivePulls</c>. LiveStore's client keeps one live pull per socket; 16 leaves room for a client that
    /// re-pulls before its old pull's interrupt arrives, and bounds what one socket can subscribe to. 0 turns the
    /// limit off.</summary>
    public int MaxLivePullsPerSocket { get; set; } = 16;

    /// <summary>Stores one user may create (by pulling or pushing a store that does not exist yet); one more is
    /// answered <c>UnknownError</c> <c>TooManyStores</c> and not created. Counted durably, per user, in the store.
    /// 100 is plenty for an app with a store per user or per workspace; an app with a store per document raises
    /// it. Stores stay counted after a reset. 0 turns the limit off.</summary>
    public int MaxStoresPerUser { get; set; } = 100;

    /// <summary>How many fan-out batches may wait for one live connection before it is cut as too slow (the client
    /// reconnects and pulls from its cursor).</summary>
    public int LiveQueueCapacity { get; set; } = 1_024;
}

/// <summary>What <see cref="LiveStoreOptions.Authorize"/> decides on.</summary>
/// <param name="StoreId">The store the client asks for (any string).</param>
/// <param name="UserId">The user of the payload's <c>authToken</c>, or null when it had none or an invalid one.</param>
/// <param name="Payload">The store's <c>syncPayload</c> as the client sent it, if any.</param>
/// <param name="HttpContext">The request (WebSocket upgrade or HTTP POST).</param>
public sealed record LiveStoreAccessContext(string StoreId, string? UserId, JsonElement? Payload, HttpContext HttpContext);

/// <summary>What <see cref="LiveStoreOptions.AuthorizeAdmin"/> decides on.</summary>
/// <param name="UserId">The user of the request's bearer token.</param>
/// <param name="HttpContext">The request.</param>
public sealed record LiveStoreAdminContext(string UserId, HttpContext HttpContext);
