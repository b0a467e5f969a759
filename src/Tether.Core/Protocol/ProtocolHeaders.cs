namespace Tether.Protocol;

/// <summary>Header and query names of the protocol, and its version.</summary>
public static class ProtocolHeaders
{
    /// <summary>The protocol version this library speaks, sent as <see cref="Protocol"/> (or <c>?protocol=</c>).</summary>
    public const int Version = 1;

    /// <summary>The request header that carries the client's protocol version.</summary>
    public const string Protocol = "Tether-Protocol";

    /// <summary>The request header that carries the app's schema version (or <c>?schema=</c> where headers cannot be set).</summary>
    public const string Schema = "Tether-Schema";

    /// <summary>The WebSocket subprotocol of the live connection.</summary>
    public const string WebSocketSubProtocol = "tether.v1";

    /// <summary>The content type of a bootstrap answer: one JSON object a line.</summary>
    public const string NdjsonContentType = "application/x-ndjson";
}
