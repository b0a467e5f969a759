using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>Writes the protocol's error shape (<c>{"error":{"code","message",...}}</c>); the one place where a status
/// code meets an error code.</summary>
public static class ErrorResults
{
    /// <summary>How long a client told <c>unavailable</c> or <c>rate_limited</c> waits before it retries, when nothing
    /// more precise is known: short, because the store or the writer usually recovers within it.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The error every front end answers when a user is over its request rate.</summary>
    public static ErrorBody RateLimited { get; } = new(ErrorCodes.RateLimited, "Too many requests for this user; retry later.");

    /// <summary>The error a connection ends with when the token it was admitted with expires.</summary>
    public static ErrorBody TokenExpired { get; } = new(ErrorCodes.Unauthorized, "The token expired; reconnect with a new one.");

    /// <summary>Answers with <paramref name="error"/> and <paramref name="status"/>; a response already started is
    /// aborted instead, since its status can no longer change.</summary>
    public static async Task WriteAsync(HttpContext http, int status, ErrorBody error, TimeSpan? retryAfter = null)
    {
        if (http.Response.HasStarted)
        {
            // A streamed answer cannot change its status any more; closing it unfinished is the signal.
            http.Abort();
            return;
        }
        http.Response.StatusCode = status;
        if (retryAfter is { } delay)
        {
            SetRetryAfter(http.Response, delay);
        }
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, new ErrorResponse(error), TetherJsonContext.Default.ErrorResponse, http.RequestAborted);
    }

    /// <summary><c>Retry-After</c> in whole seconds, at least one.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan delay)
        => response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The HTTP status of a protocol error code (500 for a code it does not know).</summary>
    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.BadRequest or ErrorCodes.InvalidArgs or ErrorCodes.UnknownMutator => StatusCodes.Status400BadRequest,
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.RequestTimeout => StatusCodes.Status408RequestTimeout,
        ErrorCodes.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.MutationGap or ErrorCodes.SchemaMismatch => StatusCodes.Status409Conflict,
        ErrorCodes.ResyncRequired => StatusCodes.Status410Gone,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Answers with <paramref name="error"/> and the status of its code.</summary>
    public static Task WriteAsync(HttpContext http, ErrorBody error, TimeSpan? retryAfter = null)
        => WriteAsync(http, StatusOf(error.Code), error, retryAfter);
}
