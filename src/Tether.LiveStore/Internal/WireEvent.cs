using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.LiveStore.Internal;

/// <summary>A LiveStore event as pushed (<c>LiveStoreEvent.Global.Encoded</c>): its args are kept as the client's
/// JSON, because the client compares the echo with its own pending event deeply.</summary>
internal sealed record WireEvent(string Name, JsonElement Args, long SeqNum, long ParentSeqNum, string ClientId, string SessionId)
{
    /// <summary>Reads one pushed event, or says what is wrong with it.</summary>
    public static WireEvent? TryRead(JsonElement element, LiveStoreOptions limits, out string? error)
    {
        error = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "an event is not an object";
            return null;
        }
        string? name = String(element, "name");
        string? clientId = String(element, "clientId");
        string? sessionId = String(element, "sessionId");
        long? seqNum = Integer(element, "seqNum");
        long? parentSeqNum = Integer(element, "parentSeqNum");
        if (name is not { Length: > 0 } || name.Length > limits.MaxEventNameLength
            || clientId is null || clientId.Length > limits.MaxEventClientIdLength
            || sessionId is null || sessionId.Length > limits.MaxEventClientIdLength)
        {
            error = $"an event needs a name of at most {limits.MaxEventNameLength} characters, and a clientId and a sessionId of at most {limits.MaxEventClientIdLength}";
            return null;
        }
        if (seqNum is not > 0 || parentSeqNum is not >= 0 || seqNum <= parentSeqNum)
        {
            error = "an event needs integers seqNum > parentSeqNum >= 0";
            return null;
        }
        JsonElement args = element.TryGetProperty("args", out JsonElement value) ? value.Clone() : default;
        return new WireEvent(name, args, seqNum.Value, parentSeqNum.Value, clientId, sessionId);
    }

    /// <summary>The event record's data (the store adds <c>id</c>).</summary>
    public JsonObject ToRecord(string backendId, DateTimeOffset createdAt)
    {
        var record = new JsonObject
        {
            // Which log the event belongs to: a live pull that began before a reset must not pass on the old log's
            // events that the fan-out still carries.
            ["backendId"] = backendId,
            ["seqNum"] = SeqNum,
            ["parentSeqNum"] = ParentSeqNum,
            ["name"] = Name,
            ["clientId"] = ClientId,
            ["sessionId"] = SessionId,
            ["createdAt"] = createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (Args.ValueKind != JsonValueKind.Undefined)
        {
            record["args"] = JsonNode.Parse(Args.GetRawText());
        }
        return record;
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Integer(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : null;
}
