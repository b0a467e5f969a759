using System.Text.Json;
using Tether.Protocol;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.LiveStore.Internal;

/// <summary>The result of a push: accepted, refused by the protocol's rules, or not handled (store unavailable).</summary>
internal sealed record PushOutcome(PushVerdict? Verdict, StoreState? State, string? Failure)
{
    public static PushOutcome Unavailable { get; } = new(null, null, "The store is unavailable; retry later.");
}

/// <summary>The LiveStore stores in Tether's storage: writes go through the mutation pipeline, reads through snapshots.</summary>
internal sealed class EventLog(ITetherStore store, MutationPipeline pipeline)
{
    /// <summary>The pipeline runs every write as some user; LiveStore's writes are the front end's own.</summary>
    private const string WriterUserId = "$livestore";
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

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
    public async Task<(StoreState? State, string? Refusal)> EnsureAsync(string storeId, StoreQuota? quota, string? caller)
    {
        var ensure = new EnsureStoreMutator(storeId, quota);
        return await RunAsync(ensure, storeId, caller).ConfigureAwait(false) switch
        {
            { Status: MutationStatus.Applied } => (ensure.State, null),
            { Error: { Code: StoreQuota.RefusalCode } refusal } => (null, refusal.Message),
            _ => (null, null),
        };
    }

    public async Task<PushOutcome> PushAsync(string storeId, IReadOnlyList<WireEvent> batch, string? backendId, string clientId, StoreQuota? quota, string? caller, CancellationToken callerGone)
    {
        var push = new PushEventsMutator(storeId, batch, backendId, quota);
        MutationResult? result = await RunAsync(push, clientId, caller, callerGone).ConfigureAwait(false);
        return result switch
        {
            null => PushOutcome.Unavailable,
            { Status: MutationStatus.Applied } => new PushOutcome(PushVerdict.Accepted, push.State, null),
            { Error.Code: "server_ahead" or "backend_id_mismatch" } => new PushOutcome(push.Verdict, push.State, null),
            { Error: { Code: StoreQuota.RefusalCode } refusal } => new PushOutcome(PushVerdict.TooManyStores, null, refusal.Message),
            { Error: { } error } => new PushOutcome(null, null, $"{error.Code}: {error.Message}"),
            _ => PushOutcome.Unavailable,
        };
    }

    /// <summary>Deletes the store's events and gives it a new backendId; null when the store is unavailable.</summary>
    public async Task<(StoreState State, long DeletedEvents)?> ResetAsync(string storeId)
    {
        var reset = new ResetStoreMutator(storeId);
        return await RunAsync(reset, storeId, caller: null).ConfigureAwait(false) is { Status: MutationStatus.Applied } ? (reset.State!, reset.DeletedEvents) : null;
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
    private Task<MutationResult?> RunAsync(StoreMutator mutator, string clientId, string? caller, CancellationToken callerGone = default)
        => pipeline.RunDirectAsync(WriterUserId, clientId, mutator, NoArgs, owner: caller ?? WriterUserId, callerGone);
}
