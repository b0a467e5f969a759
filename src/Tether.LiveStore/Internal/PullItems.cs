using System.Buffers;
using System.Text.Json;

namespace Tether.LiveStore.Internal;

/// <summary>One event as a pull sends it: <c>{eventEncoded, metadata}</c>, serialised once from its record.</summary>
internal sealed record PullItem(long SeqNum, string BackendId, byte[] Json);

internal static class PullItems
{
    /// <summary>Writes the pull item of an event record's data (the JSON the store holds).</summary>
    public static PullItem FromRecord(JsonElement record)
    {
        long seqNum = record.GetProperty("seqNum").GetInt64();
        string backendId = record.GetProperty("backendId").GetString()!;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("eventEncoded");
            writer.WriteString("name", record.GetProperty("name").GetString());
            if (record.TryGetProperty("args", out JsonElement args))
            {
                writer.WritePropertyName("args");
                args.WriteTo(writer);
            }
            writer.WriteNumber("seqNum", seqNum);
            writer.WriteNumber("parentSeqNum", record.GetProperty("parentSeqNum").GetInt64());
            writer.WriteString("clientId", record.GetProperty("clientId").GetString());
            writer.WriteString("sessionId", record.GetProperty("sessionId").GetString());
            writer.WriteEndObject();
            writer.WriteStartObject("metadata");
            writer.WriteString("_tag", "Some");
            writer.WriteStartObject("value");
            writer.WriteString("_tag", "SyncMessage.SyncMetadata");
            writer.WriteString("createdAt", record.GetProperty("createdAt").GetString());
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return new PullItem(seqNum, backendId, buffer.WrittenSpan.ToArray());
    }

    public static PullItem FromRecord(string recordJson)
    {
        using JsonDocument document = JsonDocument.Parse(recordJson);
        return FromRecord(document.RootElement);
    }
}
