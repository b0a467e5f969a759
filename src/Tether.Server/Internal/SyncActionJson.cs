using System.Buffers;
using System.Text.Json;
using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>Writes a stored sync action as protocol JSON without parsing its record data again.</summary>
internal static class SyncActionJson
{
    public static void Write(Utf8JsonWriter writer, LogEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteNumber("syncId", entry.SyncId);
        writer.WriteString("action", entry.Action);
        writer.WriteString("modelName", entry.ModelName);
        writer.WriteString("modelId", entry.ModelId);
        if (entry.Data is not null)
        {
            writer.WritePropertyName("data");
            // The store holds JSON the server itself produced; validating it again would only cost time.
            writer.WriteRawValue(entry.Data, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    public static byte[] ToUtf8(LogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (entry.Data?.Length ?? 0));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, entry);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
