using Tether.Protocol;

namespace Tether.Server;

/// <summary>Everything a host can tune about the Tether server. Bound from the <c>Tether</c> configuration section.</summary>
public sealed class TetherServerOptions
{
    /// <summary>The models clients may bootstrap. A bootstrap naming another model is a <c>bad_request</c>.</summary>
    public HashSet<string> Models { get; } = new(StringComparer.Ordinal);

    /// <summary>The app schema versions this server accepts in <c>Tether-Schema</c>.</summary>
    public VersionRange SupportedSchema { get; set; } = new(1, 1);

    /// <summary>Accept <c>Authorization: Bearer dev:&lt;userId&gt;</c>. For development only; a warning says so at startup.</summary>
    public bool DevelopmentTokens { get; set; }

    /// <summary>The users who may use the admin API (<c>/sync/admin/…</c>: status, log, clients, groups, compact) and
    /// the inspector page. Nobody by default.</summary>
    public HashSet<string> Admins { get; } = new(StringComparer.Ordinal);

    /// <summary>JWT bearer validation (used when <see cref="DevelopmentTokens"/> is off).</summary>
    public TetherJwtOptions Jwt { get; set; } = new();

    /// <summary>What one client or user may send and hold (sizes, rates, queues, connections).</summary>
    public TetherLimits Limits { get; set; } = new();

    /// <summary>How often an idle live or SSE connection gets an empty sync frame (keeps proxies and clients sure
    /// the connection is alive).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the log tailer looks for commits it was not told about (the safety net).</summary>
    public TimeSpan TailerPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Greatest number of mutations run in one group-commit transaction.</summary>
    public int MaxMutationsPerCommit { get; set; } = 2_000;

    /// <summary>How long the log keeps its sync actions. By default 30 days: older actions are compacted away, and a
    /// client that was offline longer bootstraps again (keeping its pending mutations).</summary>
    public TetherRetention Retention { get; set; } = new();
}

/// <summary>
/// The log's retention policy, applied every <see cref="Interval"/> by one node (on PostgreSQL, the sequencer's): an
/// action is compacted away once it is older than <see cref="KeepFor"/> and not among the last
/// <see cref="KeepActions"/>; a rule left null does not limit. With both null the log grows for ever. Records are never
/// removed, only the history of how they changed; clients behind the new horizon get <c>resync_required</c>.
/// </summary>
public sealed class TetherRetention
{
    /// <summary>Keep the actions of this last span of time (by the time of their commit). Default 30 days.</summary>
    public TimeSpan? KeepFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Keep at least this many of the last actions, whatever their age. Default null (no such floor).</summary>
    public long? KeepActions { get; set; }

    /// <summary>How often the policy is applied (also once at startup). Default 1 hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>JWT bearer settings: a symmetric HMAC key and optional issuer and audience.</summary>
public sealed class TetherJwtOptions
{
    /// <summary>The HMAC-SHA256 signing key (at least 32 bytes of UTF-8).</summary>
    public string? Key { get; set; }
    /// <summary>The <c>iss</c> a token must carry; not checked when null.</summary>
    public string? Issuer { get; set; }

    /// <summary>The <c>aud</c> a token must carry; not checked when null.</summary>
    public string? Audience { get; set; }

    /// <summary>How long after its <c>exp</c> a token is still accepted (clocks differ). Live and SSE connections end
    /// this long after their token's <c>exp</c>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Limits on what one request, and one user, may ask for. Exceeding one is answered with the protocol's
/// error shape.</summary>
public sealed class TetherLimits
{
    /// <summary>Largest request body (push, bootstrap) and largest WebSocket message, in bytes.</summary>
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most mutations in one push.</summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>Deepest nesting of JSON accepted in a request.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Most actions one delta or poll answer carries (and its default <c>limit</c>).</summary>
    public int MaxDeltaLimit { get; set; } = 5_000;

    /// <summary>Rows per <c>rows</c> line of a bootstrap.</summary>
    public int BootstrapPageSize { get; set; } = 500;

    /// <summary>Requests per user per second (token bucket refill), one budget shared by every front end: each HTTP
    /// request, each WebSocket upgrade, each push frame on live, each request on a LiveStore socket. 0 turns rate
    /// limiting off.</summary>
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Burst size of the per-user token bucket.</summary>
    public int RequestBurst { get; set; } = 400;

    /// <summary>Long-lived connections one user may hold at once, counted together over every front end: live
    /// WebSockets, SSE streams, long polls, LiveStore sockets and Replicache poke streams. One more is refused (429
    /// <c>rate_limited</c> with <c>Retry-After</c>; a LiveStore socket is closed with 1008). 64 covers a user with
    /// a few devices and a dozen tabs each holding a connection of every front end. 0 turns the limit off.</summary>
    public int MaxConnectionsPerUser { get; set; } = 64;

    /// <summary>Sync frames a live or SSE connection may have queued before it is dropped as a slow reader.</summary>
    public int LiveQueueCapacity { get; set; } = 256;

    /// <summary>Pushes waiting for the writer before more are answered 503 (overload).</summary>
    public int MaxQueuedPushes { get; set; } = 10_000;

    /// <summary>Mutations one user may have waiting for the writer before more of theirs are answered 429. A user with
    /// nothing waiting may always queue one push.</summary>
    public int MaxQueuedMutationsPerUser { get; set; } = 5_000;

    /// <summary>Most mutations of one user in one group commit; a longer push runs over several commits, taking turns
    /// with other users' pushes, so that no user holds the writer for long.</summary>
    public int MaxMutationsPerUserPerCommit { get; set; } = 100;

    /// <summary>When the user whose turn at the writer is next has waited this long for it, new pushes are answered
    /// 503 rather than queued.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>When the user whose turn at the writer is next has waited this long for it, health reports
    /// Degraded.</summary>
    public TimeSpan DegradedQueueWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest record the built-in <c>changes</c> mutator writes, in bytes of its JSON (a create's data, an
    /// update's record after the patch); a larger one is refused with <c>invalid_args</c>.</summary>
    public int MaxRecordBytes { get; set; } = 64 * 1024;

    /// <summary>Longest record id a mutation may write, in characters; a longer one is refused with
    /// <c>invalid_args</c>.</summary>
    public int MaxRecordIdLength { get; set; } = 256;

    /// <summary>Longest mutator name a push may carry, in characters; a longer one refuses the push with
    /// <c>bad_request</c>.</summary>
    public int MaxMutatorNameLength { get; set; } = 128;

    /// <summary>Longest long-poll wait a client may ask for.</summary>
    public TimeSpan MaxPollTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
