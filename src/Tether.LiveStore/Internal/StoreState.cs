using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.LiveStore.Internal;

/// <summary>A store's identity and head, as its <c>livestore_store</c> record holds them.</summary>
internal sealed record StoreState(string StoreId, string BackendId, long Head)
{
    public static StoreState FromRecord(JsonObject data)
        => new(data["storeId"]!.GetValue<string>(), data["backendId"]!.GetValue<string>(), data["head"]!.GetValue<long>());

    /// <summary>A new identity: clients that knew another one must wipe their copy and pull again.</summary>
    public static string NewBackendId() => Guid.NewGuid().ToString("N");

    /// <summary>An empty store with a new identity, not yet written.</summary>
    public static StoreState New(string storeId) => new(storeId, NewBackendId(), 0);

    /// <summary>The store as the mutation's transaction holds it, or null when it was never used.</summary>
    public static async ValueTask<StoreState?> ReadAsync(IMutationContext context, string storeId, CancellationToken cancellationToken)
    {
        Record? existing = await context.GetAsync(StoreNames.StoreModel, StoreNames.Key(storeId), cancellationToken).ConfigureAwait(false);
        return existing is null ? null : FromRecord(existing.Data);
    }

    /// <summary>Writes a store <see cref="New"/> made, counting it against <paramref name="quota"/> when there is one;
    /// the refusal when the quota forbids it (nothing written then).</summary>
    public static async ValueTask<string?> CreateAsync(IMutationContext context, StoreState created, StoreQuota? quota, CancellationToken cancellationToken)
    {
        if (quota is not null)
        {
            if (await quota.RefusalAsync(context, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                return refusal;
            }
            await quota.TakeAsync(context, cancellationToken).ConfigureAwait(false);
        }
        string key = StoreNames.Key(created.StoreId);
        await context.InsertAsync(StoreNames.StoreModel, key, created.ToRecord(), [StoreNames.Group(key), StoreNames.DirectoryGroup], cancellationToken).ConfigureAwait(false);
        return null;
    }

    public JsonObject ToRecord() => new() { ["storeId"] = StoreId, ["backendId"] = BackendId, ["head"] = Head };
}
