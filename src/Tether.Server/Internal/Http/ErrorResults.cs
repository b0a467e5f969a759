using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

/// <summary>Writes the protocol's error shape; the one place where a status code meets an error code.</summary>
internal static class ErrorResults
{
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

    public static Task WriteAsync(HttpContext http, ErrorBody error, TimeSpan? retryAfter = null)
        => WriteAsync(http, StatusOf(error.Code), error, retryAfter);
}
