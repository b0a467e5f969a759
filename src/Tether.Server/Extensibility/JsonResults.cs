using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tether.Server.Extensibility;

/// <summary>Answers of a front end's own endpoints that are not the sync protocol's (admin reads, say): one JSON object,
/// never cached.</summary>
public static class JsonResults
{
    /// <summary>Writes <c>{…}</c> with what <paramref name="body"/> writes inside it, as a 200 answer with
    /// <c>Cache-Control: no-store</c>.</summary>
    public static async Task WriteObjectAsync(HttpContext http, Action<Utf8JsonWriter> body)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(body);
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
