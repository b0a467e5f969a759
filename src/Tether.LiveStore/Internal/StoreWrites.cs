using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.LiveStore.Internal;

/// <summary>How a LiveStore push ended.</summary>
internal enum PushVerdict
{
    Accepted,
    ServerAhead,
    BackendIdMismatch,
    /// <summary>The push would have created a store, and its user created the most allowed.</summary>
    TooManyStores,
}

/// <summary>A push's verdict, the store as the push found or left it, and the refusal's words for
/// <see cref="PushVerdict.TooManyStores"/>.</summary>
internal sealed record StorePush(PushVerdict Verdict, StoreState State, string? Refusal = null);

/// <summary>A store as a use found or created it, or the refusal when its creation was not allowed.</summary>
internal sealed record StoreUse(StoreState? State, string? Refusal);

/// <summary>
/// The LiveStore front end's writes, each run by Tether's writer as a unit of work of its own (so they share its group
/// commit and are ordered in its log). Every rule is checked before anything is written, so a refused push writes
/// nothing and needs no rollback.
/// </summary>
internal static class StoreWrites
{
    /// <summary>The store, created (empty, with a new backendId) when it does not exist yet and the quota allows.</summary>
    public static async ValueTask<StoreUse> EnsureAsync(IMutationContext context, string storeId, StoreQuota? quota, CancellationToken cancellationToken)
    {
        if (await StoreState.ReadAsync(context, storeId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return new StoreUse(existing, null);
        }
        StoreState created = StoreState.New(storeId);
        string? refusal = await StoreState.CreateAsync(context, created, quota, cancellationToken).ConfigureAwait(false);
        return refusal is null ? new StoreUse(created, null) : new StoreUse(null, refusal);
    }

    /// <summary>Appends a batch iff it continues the store's head (<c>batch[0].parentSeqNum == head</c>) and names the
    /// store's current backendId (when it names one). The writer runs one unit at a time, so the check and the append
    /// see no other push in between. A store the push would create is checked as the empty store it would be.</summary>
    public static async ValueTask<StorePush> PushAsync(IMutationContext context, string storeId, IReadOnlyList<WireEvent> batch, string? backendId, StoreQuota? quota, CancellationToken cancellationToken)
    {
        StoreState? existing = await StoreState.ReadAsync(context, storeId, cancellationToken).ConfigureAwait(false);
        StoreState state = existing ?? StoreState.New(storeId);
        if (existing is null && quota is not null && await quota.RefusalAsync(context, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return new StorePush(PushVerdict.TooManyStores, state, refusal);
        }
        if (backendId is not null && backendId != state.BackendId)
        {
            return new StorePush(PushVerdict.BackendIdMismatch, state);
        }
        if (batch.Count > 0 && batch[0].ParentSeqNum != state.Head)
        {
            return new StorePush(PushVerdict.ServerAhead, state);
        }
        if (existing is null)
        {
            await StoreState.CreateAsync(context, state, quota, cancellationToken).ConfigureAwait(false);
        }
        if (batch.Count == 0)
        {
            return new StorePush(PushVerdict.Accepted, state);
        }
        string key = StoreNames.Key(storeId);
        string group = StoreNames.Group(key);
        foreach (WireEvent wireEvent in batch)
        {
            await context.InsertAsync(StoreNames.EventModel, StoreNames.EventId(key, wireEvent.SeqNum), wireEvent.ToRecord(state.BackendId, context.Now), [group], cancellationToken).ConfigureAwait(false);
        }
        state = state with { Head = batch[^1].SeqNum };
        await context.UpdateAsync(StoreNames.StoreModel, key, new JsonObject { ["head"] = state.Head }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new StorePush(PushVerdict.Accepted, state);
    }

    /// <summary>Deletes every event of the store and gives it a new backendId, so that clients wipe and pull again;
    /// the store as reset and how many events were deleted.</summary>
    public static async ValueTask<(StoreState State, long DeletedEvents)> ResetAsync(IMutationContext context, string storeId, CancellationToken cancellationToken)
    {
        // An administrator's reset of a store nobody created yet is not any user's store: no quota.
        StoreState state = (await EnsureAsync(context, storeId, quota: null, cancellationToken).ConfigureAwait(false)).State!;
        string key = StoreNames.Key(storeId);
        long deleted = 0;
        foreach (Record stored in await context.ListAsync(StoreNames.EventModel, StoreNames.Group(key), cancellationToken).ConfigureAwait(false))
        {
            await context.DeleteAsync(StoreNames.EventModel, stored.Id, cancellationToken).ConfigureAwait(false);
            deleted++;
        }
        state = state with { BackendId = StoreState.NewBackendId(), Head = 0 };
        await context.UpdateAsync(StoreNames.StoreModel, key, state.ToRecord(), cancellationToken: cancellationToken).ConfigureAwait(false);
        return (state, deleted);
    }
}
