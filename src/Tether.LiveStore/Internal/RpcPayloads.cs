using System.Text.Json;

namespace Tether.LiveStore.Internal;

/// <summary>A pull's payload: <c>{storeId, payload?, live, cursor: Option&lt;{backendId, eventSequenceNumber}&gt;}</c>.</summary>
internal sealed record PullPayload(string StoreId, long After, string? CursorBackendId);

/// <summary>A push's payload: <c>{storeId, payload?, batch, backendId: Option&lt;string&gt;}</c>.</summary>
internal sealed record PushPayload(string StoreId, IReadOnlyList<WireEvent> Batch, string? BackendId);

internal static class RpcPayloads
{
    public static PullPayload? TryReadPull(JsonElement payload, out string? error)
    {
        error = null;
        if (StoreIdOf(payload) is not { } storeId)
        {
            error = "a pull needs a storeId";
            return null;
        }
        if (!TryReadOption(payload, "cursor", out JsonElement? cursor))
        {
            error = "the pull's cursor is not an Option";
            return null;
        }
        if (cursor is not { } some)
        {
            return new PullPayload(storeId, 0, null);
        }
        if (some.ValueKind != JsonValueKind.Object
            || !some.TryGetProperty("eventSequenceNumber", out JsonElement seq) || seq.ValueKind != JsonValueKind.Number || !seq.TryGetInt64(out long after) || after < 0
            || !some.TryGetProperty("backendId", out JsonElement backendId) || backendId.ValueKind != JsonValueKind.String)
        {
            error = "the pull's cursor needs a backendId and an eventSequenceNumber >= 0";
            return null;
        }
        return new PullPayload(storeId, after, backendId.GetString());
    }

    public static PushPayload? TryReadPush(JsonElement payload, LiveStoreOptions limits, out string? error)
    {
        error = null;
        if (StoreIdOf(payload) is not { } storeId)
        {
            error = "a push needs a storeId";
            return null;
        }
        if (!TryReadOption(payload, "backendId", out JsonElement? backendId) || backendId is { ValueKind: not JsonValueKind.String })
        {
            error = "the push's backendId is not an Option of a string";
            return null;
        }
        if (!payload.TryGetProperty("batch", out JsonElement batch) || batch.ValueKind != JsonValueKind.Array)
        {
            error = "a push needs a batch (an array of events)";
            return null;
        }
        var events = new List<WireEvent>(batch.GetArrayLength());
        foreach (JsonElement element in batch.EnumerateArray())
        {
            WireEvent? wireEvent = WireEvent.TryRead(element, limits, out error);
            if (wireEvent is null)
            {
                error = $"event {events.Count}: {error}";
                return null;
            }
            if (events.Count > 0 && wireEvent.ParentSeqNum != events[^1].SeqNum)
            {
                error = $"event {events.Count}: its parentSeqNum {wireEvent.ParentSeqNum} is not the previous event's seqNum {events[^1].SeqNum}";
                return null;
            }
            events.Add(wireEvent);
        }
        return new PushPayload(storeId, events, backendId?.GetString());
    }

    private static string? StoreIdOf(JsonElement payload)
        => payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("storeId", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    /// <summary>Effect's Option on the wire: <c>{"_tag":"None"}</c> or <c>{"_tag":"Some","value":…}</c>; a missing
    /// property counts as None.</summary>
    private static bool TryReadOption(JsonElement payload, string name, out JsonElement? value)
    {
        value = null;
        if (!payload.TryGetProperty(name, out JsonElement option) || option.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (option.ValueKind != JsonValueKind.Object || !option.TryGetProperty("_tag", out JsonElement tag) || tag.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        switch (tag.GetString())
        {
            case "None":
                return true;
            case "Some" when option.TryGetProperty("value", out JsonElement some):
                value = some;
                return true;
            default:
                return false;
        }
    }
}
