namespace Tether.Protocol;

/// <summary>The error object of every non-2xx answer and of every rejected mutation.</summary>
public sealed record ErrorBody(string Code, string Message)
{
    /// <summary>For <c>mutation_gap</c>: the mutation id the server expects next.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? Expected { get; init; }

    /// <summary>For <c>schema_mismatch</c>: the schema versions the server accepts.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public VersionRange? Supported { get; init; }
}

/// <summary>The envelope of every non-2xx answer: <c>{"error":{...}}</c>.</summary>
public sealed record ErrorResponse(ErrorBody Error);

/// <summary>An inclusive range of versions.</summary>
public sealed record VersionRange(int Min, int Max)
{
    public bool Contains(int version) => version >= Min && version <= Max;
}

/// <summary>The error codes of the protocol, one name per failure.</summary>
public static class ErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string PayloadTooLarge = "payload_too_large";
    /// <summary>The request's body arrived too slowly (HTTP 408); the client may send it again.</summary>
    public const string RequestTimeout = "request_timeout";
    public const string UnknownMutator = "unknown_mutator";
    public const string InvalidArgs = "invalid_args";
    public const string MutationGap = "mutation_gap";
    public const string ResyncRequired = "resync_required";
    public const string SchemaMismatch = "schema_mismatch";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string Internal = "internal";
}
