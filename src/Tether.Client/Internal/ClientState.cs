using Tether.Client.Internal.Data;
using Tether.Client.Internal.Queries;

namespace Tether.Client.Internal;

/// <summary>
/// The client's state and its lock: the view, the pending queue, the metadata and the local store change only
/// inside <see cref="EnterAsync"/>, one holder at a time. Leaving publishes what changed as the next
/// <see cref="ClientData"/>, and only then, with the lock released, updates the live queries and tells the app that
/// the queue's length changed, so app code never runs while the client holds the lock.
/// </summary>
internal sealed class ClientState(TetherClientOptions options, ClientEvents events)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _pendingCount;
    private bool _pendingCountChanged;

    public ILocalStore Store { get; } = options.Store;

    public OptimisticView View { get; } = new(new Mutators.MutatorRegistry(options.Mutators), options.UserId, options.Indexes);

    public QueryHub Queries { get; } = new(events.HandlerFailed);

    /// <summary>The pending mutations in id order.</summary>
    public List<PendingEntry> Pending { get; } = [];

    public LocalMetadata Metadata { get; set; } = new();

    /// <summary>The last published data: readable on any thread without the lock.</summary>
    public ClientData Published => Queries.Data;

    public int PendingCount => Volatile.Read(ref _pendingCount);

    /// <summary>Waits for the lock; dispose the scope to publish and release it.</summary>
    public async ValueTask<Scope> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Scope(this);
    }

    /// <summary>Drops pending entries (lock held).</summary>
    public void Forget(IEnumerable<PendingEntry> entries)
    {
        var gone = entries.Select(e => e.Id).ToHashSet();
        Pending.RemoveAll(p => gone.Contains(p.Id));
        PendingChanged();
    }

    /// <summary>Records the queue's new length (lock held); the event is raised when the lock is released.</summary>
    public void PendingChanged()
    {
        if (Pending.Count != _pendingCount)
        {
            Volatile.Write(ref _pendingCount, Pending.Count);
            _pendingCountChanged = true;
        }
    }

    private void Leave()
    {
        (ClientData data, IReadOnlyDictionary<string, ModelChange> changes) = View.Publish(Metadata.LastSyncId);
        Queries.Published(data, changes);
        bool pendingCountChanged = _pendingCountChanged;
        _pendingCountChanged = false;
        _gate.Release();
        Queries.Notify();
        if (pendingCountChanged)
        {
            events.Raise(events.PendingCountChanged, PendingCount);
        }
    }

    /// <summary>The held lock.</summary>
    public readonly struct Scope(ClientState state) : IDisposable
    {
        public void Dispose() => state.Leave();
    }
}
