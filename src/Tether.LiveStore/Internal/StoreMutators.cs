using System.Text.Json;
using Tether.Mutators;

namespace Tether.LiveStore.Internal;

/// <summary>
/// The LiveStore front end's writes, run by Tether's mutation pipeline (so they share its group commit and are
/// ordered in its log) but never registered: no client can call them by name. Each instance is one request, and
/// says what happened in its properties once the pipeline has answered.
/// </summary>
internal abstract class StoreMutator(string storeId) : IMutator
{
    public abstract string Name { get; }

    protected string StoreId => storeId;

    protected string Key { get; } = StoreNames.Key(storeId);

    /// <summary>The store as the mutation found or left it.</summary>
    public StoreState? State { get; protected set; }

    public abstract ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken);
}

/// <summary>Creates the store if it does not exist (a pull of a new store must learn its backendId).</summary>
internal sealed class EnsureStoreMutator(string storeId, StoreQuota? quota) : StoreMutator(storeId)
{
    public override string Name => "$livestore.ensure";

    public override async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        => State = await StoreState.EnsureAsync(context, StoreId, quota, cancellationToken).ConfigureAwait(false);
}

internal enum PushVerdict
{
    Accepted,
    ServerAhead,
    BackendIdMismatch,
    /// <summary>The push would have created a store, and its user created the most allowed.</summary>
    TooManyStores,
}

/// <summary>Appends a batch iff it continues the store's head (<c>batch[0].parentSeqNum == head</c>) and names the
/// store's current backendId (when it names one). The pipeline's single writer serialises every push, so the check
/// and the append see no other push in between.</summary>
internal sealed class PushEventsMutator(string storeId, IReadOnlyList<WireEvent> batch, string? backendId, StoreQuota? quota) : StoreMutator(storeId)
{
    public override string Name => "$livestore.push";

    public PushVerdict Verdict { get; private set; }

    public override async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        StoreState state = await StoreState.EnsureAsync(context, StoreId, quota, cancellationToken).ConfigureAwait(false);
        State = state;
        if (backendId is not null && backendId != state.BackendId)
        {
            Verdict = PushVerdict.BackendIdMismatch;
            throw new MutationRejectedException("backend_id_mismatch", "The store was reset; its backendId changed.");
        }
        if (batch.Count == 0)
        {
            Verdict = PushVerdict.Accepted;
            return;
        }
        if (batch[0].ParentSeqNum != state.Head)
        {
            Verdict = PushVerdict.ServerAhead;
            throw new MutationRejectedException("server_ahead", "The batch does not continue the store's head.");
        }
        string group = StoreNames.Group(Key);
        foreach (WireEvent wireEvent in batch)
        {
            await context.InsertAsync(StoreNames.EventModel, StoreNames.EventId(Key, wireEvent.SeqNum), wireEvent.ToRecord(state.BackendId, context.Now), [group], cancellationToken).ConfigureAwait(false);
        }
        State = state with { Head = batch[^1].SeqNum };
        await context.UpdateAsync(StoreNames.StoreModel, Key, new System.Text.Json.Nodes.JsonObject { ["head"] = State.Head }, cancellationToken: cancellationToken).ConfigureAwait(false);
        Verdict = PushVerdict.Accepted;
    }
}

/// <summary>Deletes every event of the store and gives it a new backendId, so that clients wipe and pull again.</summary>
internal sealed class ResetStoreMutator(string storeId) : StoreMutator(storeId)
{
    public override string Name => "$livestore.reset";

    public long DeletedEvents { get; private set; }

    public override async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        // An administrator's reset of a store nobody created yet is not any user's store.
        StoreState state = await StoreState.EnsureAsync(context, StoreId, quota: null, cancellationToken).ConfigureAwait(false);
        foreach (Record stored in await context.ListAsync(StoreNames.EventModel, StoreNames.Group(Key), cancellationToken).ConfigureAwait(false))
        {
            await context.DeleteAsync(StoreNames.EventModel, stored.Id, cancellationToken).ConfigureAwait(false);
            DeletedEvents++;
        }
        State = state with { BackendId = StoreState.NewBackendId(), Head = 0 };
        await context.UpdateAsync(StoreNames.StoreModel, Key, State.ToRecord(), cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
