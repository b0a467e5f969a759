using System.Runtime.CompilerServices;
using System.Text.Json;
using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>What a sync action of the fan-out means to a LiveStore pull: a new event, or the store's identity.</summary>
internal sealed record FeedItem(PullItem? Event, string? BackendId);

/// <summary>
/// Translates the fan-out's sync actions into LiveStore pull items. The fan-out serialises each action once for all
/// connections; the translation is cached on the action too, so each event is parsed and written once however many
/// LiveStore clients follow its store.
/// </summary>
internal static class LiveFeed
{
    private static readonly ConditionalWeakTable<LogBatchEntry, FeedItem> Translated = new();
    private static readonly FeedItem Nothing = new(null, null);

    /// <summary>The entry's meaning for the store whose group is <paramref name="storeGroup"/>, or null when it is
    /// not about that store.</summary>
    public static FeedItem? Translate(LogBatchEntry entry, string storeGroup)
    {
        if (!entry.SyncGroups.Contains(storeGroup))
        {
            return null;
        }
        return Translated.GetValue(entry, Parse);
    }

    private static FeedItem Parse(LogBatchEntry entry)
    {
        using JsonDocument document = JsonDocument.Parse(entry.Json);
        JsonElement action = document.RootElement;
        string? kind = action.GetProperty("action").GetString();
        if (kind == SyncActionKinds.Delete || !action.TryGetProperty("data", out JsonElement data))
        {
            return Nothing;
        }
        return action.GetProperty("modelName").GetString() switch
        {
            StoreNames.EventModel when kind == SyncActionKinds.Insert => new FeedItem(PullItems.FromRecord(data), null),
            StoreNames.StoreModel => new FeedItem(null, data.GetProperty("backendId").GetString()),
            _ => Nothing,
        };
    }
}
