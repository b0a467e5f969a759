using Tether.LiveStore.Internal;

namespace Tether.LiveStore;

/// <summary>A LiveStore store as the server holds it.</summary>
/// <param name="StoreId">The store's id, as clients name it.</param>
/// <param name="BackendId">The identity of its log; a reset gives it a new one.</param>
/// <param name="Head">The sequence number of its last event (0 when empty).</param>
public sealed record LiveStoreInfo(string StoreId, string BackendId, long Head);

/// <summary>Operations on the LiveStore stores of this server (resolve it from the services).</summary>
public sealed class LiveStoreAdmin
{
    private readonly EventLog _log;

    internal LiveStoreAdmin(EventLog log) => _log = log;

    /// <summary>Every store that has been used, with its head.</summary>
    public async Task<IReadOnlyList<LiveStoreInfo>> ListStoresAsync(CancellationToken cancellationToken = default)
        => [.. (await _log.ListAsync(cancellationToken).ConfigureAwait(false)).Select(state => new LiveStoreInfo(state.StoreId, state.BackendId, state.Head))];

    /// <summary>Deletes the store's events and gives it a new backendId. Connected clients get
    /// <c>BackendIdMismatchError</c> at once, wipe their local copy and start again from the empty store.</summary>
    public async Task<LiveStoreInfo> ResetStoreAsync(string storeId, CancellationToken cancellationToken = default)
        => await TryResetStoreAsync(storeId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The store is unavailable; the reset was not made.");

    /// <summary>The reset, or null when the store could not make it (nothing changed then).</summary>
    internal async Task<LiveStoreInfo?> TryResetStoreAsync(string storeId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeId);
        return await _log.ResetAsync(storeId).WaitAsync(cancellationToken).ConfigureAwait(false) is ({ } state, _)
            ? new LiveStoreInfo(state.StoreId, state.BackendId, state.Head)
            : null;
    }
}
