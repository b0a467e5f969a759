using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.LiveStore.Internal;

/// <summary>A store's identity and head, as its <c>livestore_store</c> record holds them.</summary>
internal sealed record StoreState(string StoreId, string BackendId, long Head)
{
    public static StoreState FromRecord(JsonObject data)
        => new(data["storeId"]!.GetValue<string>(), data["backendId"]!.GetValue<string>(), data["head"]!.GetValue<long>());

    public static StoreState FromJson(JsonElement data)
        => new(data.GetProperty("storeId").GetString()!, data.GetProperty("backendId").GetString()!, data.GetProperty("head").GetInt64());

    /// <summary>A new identity: clients that knew another one must wipe their copy and pull again.</summary>
    public static string NewBackendId() => Guid.NewGuid().ToString("N");

    /// <summary>Reads the store in the mutation's transaction, creating it (empty, with a new backendId) when it does
    /// not exist yet; a creation counts against <paramref name="quota"/> when there is one.</summary>
    public static async ValueTask<StoreState> EnsureAsync(IMutationContext context, string storeId, StoreQuota? quota, CancellationToken cancellationToken)
    {
        string key = StoreNames.Key(storeId);
        Record? existing = await context.GetAsync(StoreNames.StoreModel, key, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return FromRecord(existing.Data);
        }
        if (quota is not null)
        {
            await quota.TakeAsync(context, cancellationToken).ConfigureAwait(false);
        }
        var created = new StoreState(storeId, NewBackendId(), 0);
        await context.InsertAsync(StoreNames.StoreModel, key, created.ToRecord(), [StoreNames.Group(key), StoreNames.DirectoryGroup], cancellationToken).ConfigureAwait(false);
        return created;
    }

    public JsonObject ToRecord() => new() { ["storeId"] = StoreId, ["backendId"] = BackendId, ["head"] = Head };
}
