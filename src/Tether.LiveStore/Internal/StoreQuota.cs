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
    /// <summary>The refusal's code inside the pipeline; the client sees <c>UnknownError</c> named
    /// <see cref="RefusalName"/>.</summary>
    public const string RefusalCode = "too_many_stores";
    public const string RefusalName = "TooManyStores";

    /// <summary>Counts one more store for the user, or refuses (the store is not created) when the user already
    /// created the most allowed.</summary>
    public async ValueTask TakeAsync(IMutationContext context, CancellationToken cancellationToken)
    {
        string key = StoreNames.OwnerKey(UserId);
        Record? owner = await context.GetAsync(StoreNames.OwnerModel, key, cancellationToken).ConfigureAwait(false);
        long created = owner?.Data["stores"]?.GetValue<long>() ?? 0;
        if (created >= MaxStores)
        {
            throw new MutationRejectedException(RefusalCode, $"This user has created {created} stores, the most allowed; use one of them.");
        }
        if (owner is null)
        {
            await context.InsertAsync(StoreNames.OwnerModel, key, new JsonObject { ["userId"] = UserId, ["stores"] = 1 }, [StoreNames.OwnerGroup], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await context.UpdateAsync(StoreNames.OwnerModel, key, new JsonObject { ["stores"] = created + 1 }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
