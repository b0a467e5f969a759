using Tether.Mutators;
using Tether.Server.Storage;
using Tether.Server.Extensibility;

namespace Tether.LiveStore.Internal;

/// <summary>The LiveStore stores in Tether's storage: writes go through Tether's writer, reads through snapshots.</summary>
internal sealed class EventLog(ITetherStore store, ITetherWriter writer)
{
    /// <summary>The writer runs every write as some user; LiveStore's writes are the front end's own.</summary>
    private const string WriterUserId = "$livestore";

    public ValueTask<ITetherReadSnapshot> SnapshotAsync(CancellationToken cancellationToken) => store.BeginReadAsync(cancellationToken);

    /// <summary>The store in <paramref name="snapshot"/>, or null when it was never used.</summary>
    public static async ValueTask<StoreState?> ReadStateAsync(ITetherReadSnapshot snapshot, string storeId, CancellationToken cancellationToken)
    {
        var record = await snapshot.GetRecordAsync(StoreNames.StoreModel, StoreNames.Key(storeId), cancellationToken).ConfigureAwait(false);
        return record is null ? null : StoreState.FromRecord(record.Data);
    }

    /// <summary>Creates the store if needed: its state, or the refusal when <paramref name="quota"/> forbids creating
    /// it, or neither when the store is unavailable. <paramref name="caller"/> is the user whose share of the writer
    /// it takes.</summary>
    public async Task<StoreUse> EnsureAsync(string storeId, StoreQuota? quota, string? caller)
    {
        WriteOutcome<StoreUse> outcome = await WriteAsync(storeId, caller, (context, token) => StoreWrites.EnsureAsync(context, storeId, quota, token), default).ConfigureAwait(false);
        return outcome.Value ?? new StoreUse(null, null);
    }

    public Task<WriteOutcome<StorePush>> PushAsync(string storeId, IReadOnlyList<WireEvent> batch, string? backendId, string clientId, StoreQuota? quota, string? caller, CancellationToken callerGone)
        => WriteAsync(clientId, caller, (context, token) => StoreWrites.PushAsync(context, storeId, batch, backendId, quota, token), callerGone, cost: Math.Max(1, batch.Count));

    /// <summary>Deletes the store's events and gives it a new backendId; null when the store is unavailable.</summary>
    public async Task<(StoreState State, long DeletedEvents)?> ResetAsync(string storeId)
    {
        WriteOutcome<(StoreState, long)> outcome = await WriteAsync(storeId, caller: null, (context, token) => StoreWrites.ResetAsync(context, storeId, token), default).ConfigureAwait(false);
        return outcome.Status == WriteStatus.Applied ? outcome.Value : null;
    }

    /// <summary>Every store, with its head.</summary>
    public async Task<IReadOnlyList<StoreState>> ListAsync(CancellationToken cancellationToken)
    {
        await using ITetherReadSnapshot snapshot = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var records = await snapshot.ListRecordsAsync(StoreNames.StoreModel, StoreNames.DirectoryGroup, cancellationToken).ConfigureAwait(false);
        var stores = records.Select(record => StoreState.FromRecord(record.Data)).ToList();
        return stores;
    }

    /// <summary>Runs a write as the front end, charged to the calling user's share of the writer (a caller without a
    /// user, which only a host's own <c>Authorize</c> can admit, shares the front end's).</summary>
    private Task<WriteOutcome<T>> WriteAsync<T>(string clientId, string? caller, Func<IMutationContext, CancellationToken, ValueTask<T>> write, CancellationToken callerGone, int cost = 1)
        => writer.WriteAsync(
            new WriteOptions { UserId = WriterUserId, Owner = caller ?? WriterUserId, Cost = cost },
            (scope, token) => scope.MutateAsync(clientId, write, token),
            callerGone);
}
