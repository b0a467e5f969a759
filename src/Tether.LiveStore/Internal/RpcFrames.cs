using System.Buffers;
using System.Text.Json;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>A message from the client: an Effect RPC envelope (<c>Request</c>, <c>Ping</c>, <c>Ack</c>,
/// <c>Interrupt</c>, <c>Eof</c>).</summary>
internal sealed record RpcMessage(string Tag, string? Id, string? RpcTag, JsonElement Payload)
{
    /// <summary>How deep a client's JSON may nest (System.Text.Json's default, which LiveStore's events stay within).</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads one message of the client. <paramref name="problem"/> says why the text is not well-formed JSON
    /// (an invalid payload); otherwise the result is the message, or null when the JSON is not an RPC message (a
    /// protocol violation).</summary>
    public static RpcMessage? Read(ReadOnlyMemory<byte> json, out string? problem)
    {
        problem = WellFormed.JsonProblem(json.Span, MaxDepth);
        if (problem is not null)
        {
            return null;
        }
        using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        return TryParse(document.RootElement.Clone());
    }

    private static RpcMessage? TryParse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("_tag", out JsonElement tag) || tag.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        string? id = root.TryGetProperty("id", out JsonElement idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()
            : root.TryGetProperty("requestId", out JsonElement requestId) && requestId.ValueKind == JsonValueKind.String ? requestId.GetString()
            : null;
        string? rpcTag = root.TryGetProperty("tag", out JsonElement rpc) && rpc.ValueKind == JsonValueKind.String ? rpc.GetString() : null;
        JsonElement payload = root.TryGetProperty("payload", out JsonElement value) ? value : default;
        return new RpcMessage(tag.GetString()!, id, rpcTag, payload);
    }
}

/// <summary>The server's messages, written as the client's Effect RPC JSON serialisation decodes them.</summary>
internal static class RpcFrames
{
    /// <summary>The client refuses a message much above this; a pull chunk stays under it.</summary>
    public const int MaxChunkBytes = 900_000;

    /// <summary>The <c>UnknownError</c> name of a request over the user's rate (over HTTP, with 429 and
    /// <c>Retry-After</c>).</summary>
    public const string RateLimited = "RateLimited";

    public static byte[] Pong { get; } = """{"_tag":"Pong"}"""u8.ToArray();

    /// <summary>One <c>Chunk</c> with one pull response: the items' JSON as they were serialised once.</summary>
    public static byte[] Chunk(string requestId, IReadOnlyList<PullItem> items, long? remaining, string backendId)
        => Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("_tag", "Chunk");
            writer.WriteString("requestId", requestId);
            writer.WriteStartArray("values");
            writer.WriteStartObject();
            writer.WriteStartArray("batch");
            foreach (PullItem item in items)
            {
                writer.WriteRawValue(item.Json, skipInputValidation: true);
            }
            writer.WriteEndArray();
            writer.WriteStartObject("pageInfo");
            if (remaining is > 0)
            {
                writer.WriteString("_tag", "MoreKnown");
                writer.WriteNumber("remaining", remaining.Value);
            }
            else
            {
                writer.WriteString("_tag", "NoMore");
            }
            writer.WriteEndObject();
            writer.WriteString("backendId", backendId);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    /// <summary>A push's acknowledgement (its value must be an object).</summary>
    public static byte[] PushAck(string requestId) => Exit(requestId, writer => writer.WriteStartObject("value"), writer => writer.WriteEndObject());

    /// <summary>The end of a finite stream (a pull that is not live).</summary>
    public static byte[] StreamEnd(string requestId) => Exit(requestId, _ => { }, _ => { });

    /// <summary>The answer to the HTTP transport's ping.</summary>
    public static byte[] PingAnswer(string requestId) => Exit(requestId, writer =>
    {
        writer.WriteStartObject("value");
        writer.WriteString("_tag", "SyncMessage.Pong");
    }, writer => writer.WriteEndObject());

    public static byte[] ServerAhead(string requestId, long head, long provided) => Failure(requestId, writer =>
    {
        writer.WriteString("_tag", "ServerAheadError");
        writer.WriteNumber("minimumExpectedNum", head);
        writer.WriteNumber("providedNum", provided);
    });

    public static byte[] BackendIdMismatch(string requestId, string expected, string received) => Failure(requestId, writer =>
    {
        writer.WriteString("_tag", "BackendIdMismatchError");
        writer.WriteString("expected", expected);
        writer.WriteString("received", received);
    });

    /// <summary>A permanent refusal the client can show: bad input, no access.</summary>
    public static byte[] UnknownError(string requestId, string name, string message) => Failure(requestId, writer =>
    {
        writer.WriteString("_tag", "UnknownError");
        writer.WriteStartObject("cause");
        writer.WriteString("name", name);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        writer.WriteString("note", message);
    });

    private static byte[] Failure(string requestId, Action<Utf8JsonWriter> error) => Exit(requestId, writer =>
    {
        writer.WriteStartObject("cause");
        writer.WriteString("_tag", "Fail");
        writer.WriteStartObject("error");
        error(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }, _ => { }, success: false);

    private static byte[] Exit(string requestId, Action<Utf8JsonWriter> body, Action<Utf8JsonWriter> close, bool success = true) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("_tag", "Exit");
        writer.WriteString("requestId", requestId);
        writer.WriteStartObject("exit");
        writer.WriteString("_tag", success ? "Success" : "Failure");
        body(writer);
        close(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
