namespace Tether.Protocol;

/// <summary>Header and query names of the protocol, and its version.</summary>
public static class ProtocolHeaders
{
    public const int Version = 1;
    public const string Protocol = "Tether-Protocol";
    public const string Schema = "Tether-Schema";
    public const string WebSocketSubProtocol = "tether.v1";
    public const string NdjsonContentType = "application/x-ndjson";
}
