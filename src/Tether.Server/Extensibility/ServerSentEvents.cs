using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Tether.Server.Extensibility;

/// <summary>Writes a Server-Sent Events stream: the headers that keep proxies from buffering it, and events flushed one
/// by one.</summary>
public static class ServerSentEvents
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] HeartbeatComment = ": heartbeat\n\n"u8.ToArray();

    /// <summary>Makes the response an event stream; call before anything is written.</summary>
    public static void Start(HttpResponse response)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    /// <summary>Sends one event whose data is <paramref name="data"/> (one line: no raw newline in it), with an
    /// <c>id</c> that a reconnecting client sends back as <c>Last-Event-ID</c> when given.</summary>
    public static async Task WriteEventAsync(HttpResponse response, ReadOnlyMemory<byte> data, long? id, CancellationToken cancellationToken)
    {
        if (id is { } eventId)
        {
            await response.Body.WriteAsync(System.Text.Encoding.ASCII.GetBytes("id: " + eventId.ToString(CultureInfo.InvariantCulture) + "\n"), cancellationToken).ConfigureAwait(false);
        }
        await response.Body.WriteAsync(DataPrefix, cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync(EventEnd, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a comment that clients ignore, so that proxies and the client see the stream is alive.</summary>
    public static async Task WriteHeartbeatAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(HeartbeatComment, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
