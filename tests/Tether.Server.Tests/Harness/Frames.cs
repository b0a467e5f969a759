using System.Net;
using System.Text.Json;

namespace Tether.Server.Tests.Harness;

/// <summary>Small readers of frames and actions shared by the live, SSE and poll tests.</summary>
public static class Frames
{
    public static string Type(this JsonElement frame) => frame.GetProperty("type").GetString()!;

    /// <summary>A sync frame, or a delta or poll answer (which has no type but chains the same way).</summary>
    public static bool IsSyncLike(this JsonElement frame) => !frame.TryGetProperty("type", out JsonElement type) || type.GetString() == "sync";
    public static long LastSyncId(this JsonElement frame) => frame.GetProperty("lastSyncId").GetInt64();
    public static JsonElement[] Actions(this JsonElement frame) => [.. frame.GetProperty("sync").EnumerateArray()];
    public static long SyncId(this JsonElement action) => action.GetProperty("syncId").GetInt64();
    public static string ModelName(this JsonElement action) => action.GetProperty("modelName").GetString()!;
    public static string ModelId(this JsonElement action) => action.GetProperty("modelId").GetString()!;
    public static string[] SyncGroups(this JsonElement frame) => [.. frame.GetProperty("syncGroups").EnumerateArray().Select(g => g.GetString()!)];

    /// <summary>The acks of a sync frame, or null when it carries none.</summary>
    public static Dictionary<string, long>? Acks(this JsonElement frame)
        => frame.TryGetProperty("acks", out JsonElement acks)
            ? acks.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64())
            : null;

    /// <summary>Actions compared by their full JSON text, so two lists are equal only when every field is.</summary>
    public static string[] Texts(IEnumerable<JsonElement> actions) => [.. actions.Select(a => a.GetRawText())];

    /// <summary>Reads live frames until a sync frame reaches <paramref name="syncId"/>; returns every frame read, in order.</summary>
    public static async Task<List<JsonElement>> ReadUntilAsync(this LiveClient live, long syncId)
    {
        var frames = new List<JsonElement>();
        while (true)
        {
            JsonElement? frame = await live.ReceiveAsync();
            Assert.True(frame is not null, $"the server closed the socket before syncId {syncId} arrived");
            frames.Add(frame.Value);
            if (frame.Value.Type() == "sync" && frame.Value.LastSyncId() >= syncId)
            {
                return frames;
            }
        }
    }

    /// <summary>Reads SSE events until a sync frame reaches <paramref name="syncId"/>; returns every event read, in order.</summary>
    public static async Task<List<(long Id, JsonElement Data)>> ReadUntilAsync(this SseClient sse, long syncId)
    {
        var events = new List<(long, JsonElement)>();
        while (true)
        {
            (long id, JsonElement data) = await sse.ReceiveAsync();
            events.Add((id, data));
            if (data.Type() == "sync" && data.LastSyncId() >= syncId)
            {
                return events;
            }
        }
    }

    /// <summary>All actions of the sync frames, in the order they arrived.</summary>
    public static List<JsonElement> ActionsOf(IEnumerable<JsonElement> frames)
        => [.. frames.Where(IsSyncLike).SelectMany(f => f.Actions())];

    /// <summary>Checks that sync frames chain without gaps from <paramref name="start"/>: each frame's actions lie
    /// in (previous lastSyncId, its lastSyncId], ascending, and lastSyncId never goes back.</summary>
    public static void AssertChained(long start, IEnumerable<JsonElement> frames)
    {
        long previous = start;
        foreach (JsonElement frame in frames.Where(IsSyncLike))
        {
            long last = frame.LastSyncId();
            Assert.True(last >= previous, $"a frame went back from {previous} to {last}");
            long before = previous;
            foreach (JsonElement action in frame.Actions())
            {
                long syncId = action.SyncId();
                Assert.True(syncId > before, $"action {syncId} is not after {before} (frame after {previous})");
                Assert.True(syncId <= last, $"action {syncId} is beyond its frame's lastSyncId {last}");
                before = syncId;
            }
            previous = last;
        }
    }
}

/// <summary>Long poll and raw GETs that the tests need beside <see cref="SyncApi"/>.</summary>
public static class SyncApiExtensions
{
    public static string PollUrl(long from, int timeoutMs) => $"/sync/poll?from={from}&timeoutMs={timeoutMs}";

    /// <summary>One long poll that must answer 200.</summary>
    public static async Task<JsonElement> PollAsync(this SyncApi api, long from, int timeoutMs)
    {
        using HttpResponseMessage response = await api.Http.GetAsync(PollUrl(from, timeoutMs));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"poll answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The head as this user sees it (delta's lastSyncId covers every action, visible or not).</summary>
    public static async Task<long> HeadAsync(this SyncApi api, long from = 0)
    {
        while (true)
        {
            JsonElement page = await api.DeltaAsync(from);
            from = page.LastSyncId();
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                return from;
            }
        }
    }
}
