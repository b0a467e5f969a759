using System.Buffers;
using System.Text.Json;
using Tether.Protocol;
using Tether.Server.Internal.Fanout;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Live;

/// <summary>Builds the server-to-client frames of live, SSE and long poll as UTF-8 JSON. Sync frames splice in the
/// actions' bytes serialised once by the tailer.</summary>
internal static class FrameJson
{
    public static byte[] Sync(long lastSyncId, IReadOnlyList<LogBatchEntry> actions, string? ackClientId, long ackMutationId)
        => Build(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type", FrameTypes.Sync);
            writer.WriteNumber("lastSyncId", lastSyncId);
            writer.WriteStartArray("sync");
            foreach (LogBatchEntry action in actions)
            {
                writer.WriteRawValue(action.Json, skipInputValidation: true);
            }
            writer.WriteEndArray();
            if (ackClientId is not null)
            {
                writer.WriteStartObject("acks");
                writer.WriteNumber(ackClientId, ackMutationId);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        });

    public static byte[] Sync(DeltaPage page)
        => Build(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type", FrameTypes.Sync);
            writer.WriteNumber("lastSyncId", page.LastSyncId);
            WriteActions(writer, page.Entries);
            writer.WriteEndObject();
        });

    /// <summary>The answer of delta and long poll: <c>{"sync":[...],"lastSyncId":L,"hasMore":b}</c>.</summary>
    public static byte[] Delta(DeltaPage page)
        => Build(writer =>
        {
            writer.WriteStartObject();
            WriteActions(writer, page.Entries);
            writer.WriteNumber("lastSyncId", page.LastSyncId);
            writer.WriteBoolean("hasMore", page.HasMore);
            writer.WriteEndObject();
        });

    public static byte[] Handshake(long lastSyncId, IReadOnlySet<string> groups)
        => JsonSerializer.SerializeToUtf8Bytes(new HandshakeFrame(lastSyncId, Sorted(groups)), TetherJsonContext.Default.HandshakeFrame);

    public static byte[] Groups(IReadOnlySet<string> groups)
        => JsonSerializer.SerializeToUtf8Bytes(new GroupsFrame(Sorted(groups)), TetherJsonContext.Default.GroupsFrame);

    public static byte[] Error(ErrorBody error)
        => JsonSerializer.SerializeToUtf8Bytes(new ErrorFrame(error), TetherJsonContext.Default.ErrorFrame);

    public static string[] Sorted(IReadOnlySet<string> groups) => groups.Order(StringComparer.Ordinal).ToArray();

    private static void WriteActions(Utf8JsonWriter writer, IReadOnlyList<LogEntry> entries)
    {
        writer.WriteStartArray("sync");
        foreach (LogEntry entry in entries)
        {
            SyncActionJson.Write(writer, entry);
        }
        writer.WriteEndArray();
    }

    private static byte[] Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
