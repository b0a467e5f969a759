using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.LiveStore.Internal;

/// <summary>
/// How many stores a user may create. The count is a <c>livestore_owner</c> record per user, written in the
/// transaction that creates the store, so it survives restarts, is shared by every node on the same database and
/// never drifts from the stores themselves. Stores that existed before the count was kept are not counted.
/// </summary>
internal sealed record StoreQuota(string UserId, int MaxStores)
{
    /// <summary>The name of the client's <c>UnknownError</c> when a creation is refused.</summary>
    public const string RefusalName = "TooManyStores";

    /// <summary>Why the user may not create one more store, or null when it may. Reads only.</summary>
    public async ValueTask<string?> RefusalAsync(IMutationContext context, CancellationToken cancellationToken)
    {
        long created = await CreatedAsync(context, cancellationToken).ConfigureAwait(false);
        return created >= MaxStores ? $"This user has created {created} stores, the most allowed; use one of them." : null;
    }

    /// <summary>Counts one more store for the user (after <see cref="RefusalAsync"/> allowed it).</summary>
    public async ValueTask TakeAsync(IMutationContext context, CancellationToken cancellationToken)
    {
        string key = StoreNames.OwnerKey(UserId);
        long created = await CreatedAsync(context, cancellationToken).ConfigureAwait(false);
        if (created == 0 && await context.GetAsync(StoreNames.OwnerModel, key, cancellationToken).ConfigureAwait(false) is null)
        {
            await context.InsertAsync(StoreNames.OwnerModel, key, new JsonObject { ["userId"] = UserId, ["stores"] = 1 }, [StoreNames.OwnerGroup], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await context.UpdateAsync(StoreNames.OwnerModel, key, new JsonObject { ["stores"] = created + 1 }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<long> CreatedAsync(IMutationContext context, CancellationToken cancellationToken)
    {
        Record? owner = await context.GetAsync(StoreNames.OwnerModel, StoreNames.OwnerKey(UserId), cancellationToken).ConfigureAwait(false);
        return owner?.Data["stores"]?.GetValue<long>() ?? 0;
    }
}
