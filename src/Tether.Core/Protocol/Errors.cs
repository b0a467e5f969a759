namespace Tether.Protocol;

/// <summary>The error object of every non-2xx answer and of every rejected mutation.</summary>
/// <param name="Code">One of <see cref="ErrorCodes"/>: what went wrong, for code to act on.</param>
/// <param name="Message">A sentence for a developer; never holds stack traces, SQL or request headers.</param>
public sealed record ErrorBody(string Code, string Message)
{
    /// <summary>For <c>mutation_gap</c>: the mutation id the server expects next; null for every other code.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? Expected { get; init; }

    /// <summary>For <c>schema_mismatch</c>: the schema versions the server accepts; null for every other code.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public VersionRange? Supported { get; init; }
}

/// <summary>The envelope of every non-2xx answer: <c>{"error":{...}}</c>.</summary>
/// <param name="Error">What went wrong.</param>
public sealed record ErrorResponse(ErrorBody Error);

/// <summary>An inclusive range of versions.</summary>
/// <param name="Min">The oldest version in the range.</param>
/// <param name="Max">The newest version in the range.</param>
public sealed record VersionRange(int Min, int Max)
{
    /// <summary>True when <paramref name="version"/> is between <see cref="Min"/> and <see cref="Max"/>, both included.</summary>
    public bool Contains(int version) => version >= Min && version <= Max;
}

/// <summary>The error codes of the protocol, one name per failure. The HTTP status each one comes with is in
/// <c>docs/protocol.md</c>.</summary>
public static class ErrorCodes
{
    /// <summary>The request is malformed: not well-formed JSON, a missing or invalid field or query (HTTP 400).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The bearer token is missing, invalid or expired (HTTP 401; on a live connection, close 1008).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The user may not do this: a group that is not theirs, another user's clientId, or a mutator's refusal
    /// (HTTP 403, or a rejected mutation).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>A record the mutation needs does not exist (a rejected mutation), or an unknown route.</summary>
    public const string NotFound = "not_found";

    /// <summary>The body is larger than the server accepts, or holds too many mutations (HTTP 413).</summary>
    public const string PayloadTooLarge = "payload_too_large";

    /// <summary>The request's body arrived too slowly (HTTP 408); the client may send it again.</summary>
    public const string RequestTimeout = "request_timeout";

    /// <summary>No mutator has the mutation's name (a rejected mutation).</summary>
    public const string UnknownMutator = "unknown_mutator";

    /// <summary>The mutation's arguments do not fit its mutator, or break a record limit (a rejected mutation).</summary>
    public const string InvalidArgs = "invalid_args";

    /// <summary>A push skipped mutation ids (HTTP 409); <see cref="ErrorBody.Expected"/> is the id the server
    /// expects next.</summary>
    public const string MutationGap = "mutation_gap";

    /// <summary>The client's position is older than the server still keeps, or newer than its head: bootstrap
    /// again (HTTP 410).</summary>
    public const string ResyncRequired = "resync_required";

    /// <summary>The server does not support the client's protocol or schema version (HTTP 409);
    /// <see cref="ErrorBody.Supported"/> says which schemas it does.</summary>
    public const string SchemaMismatch = "schema_mismatch";

    /// <summary>Too many requests or queued mutations for this user (HTTP 429, with <c>Retry-After</c>).</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>A transient failure (the store is down, the server is overloaded): retry after <c>Retry-After</c>
    /// (HTTP 503). Nothing was rejected.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>An unexpected failure (HTTP 500, or a mutator that threw); the details are only in the server's log.</summary>
    public const string Internal = "internal";
}
