using Microsoft.Extensions.DependencyInjection;
using Record = Tether.Mutators.Record;
using Tether.Server.Storage;

namespace Tether.Server.Tests.Harness;

/// <summary>
/// The server's real store behind a seam the test controls, for what a store with concurrent writers does and SQLite
/// never does: it says it takes <see cref="Writers"/> writers, makes the commits <see cref="Conflicts"/> picks lose a
/// conflict (thrown before anything is committed, so nothing of them is written), and gives the commits
/// <see cref="Sequencing"/> picks their syncIds later, when the test says.
/// </summary>
public sealed class InterposedStore(ITetherStore inner, int writers) : ITetherStore
{
    public int Writers => writers;

    /// <summary>Whether a batch about to be committed loses a conflict instead; asked once per commit attempt.</summary>
    public Func<WriteBatch, bool> Conflicts { get; set; } = _ => false;

    /// <summary>For a batch just committed, with the head after it: when its actions are sequenced, or null for at
    /// once (as the real store does).</summary>
    public Func<WriteBatch, long, Task<long>?> Sequencing { get; set; } = (_, _) => null;

    /// <summary>Wraps the store the server was given (registered before this call) in an interposed one.</summary>
    public static void Install(ITetherServerBuilder tether, int writers)
    {
        ServiceDescriptor real = tether.Services.Last(service => service.ServiceType == typeof(ITetherStore));
        tether.Services.Remove(real);
        tether.Services.AddSingleton<ITetherStore>(provider => new InterposedStore((ITetherStore)real.ImplementationFactory!(provider), writers));
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public async ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
        => new Transaction(this, await inner.BeginWriteAsync(cancellationToken));

    public ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken) => inner.BeginReadAsync(cancellationToken);

    public ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken) => inner.BeginLogReadAsync(cancellationToken);

    public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken) => inner.CompactAsync(upToSyncId, cancellationToken);

    public ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken) => inner.SyncIdAtAsync(time, cancellationToken);

    public bool RunsMaintenance => inner.RunsMaintenance;

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class Transaction(InterposedStore store, ITetherWriteTransaction inner) : ITetherWriteTransaction
    {
        public long Head => inner.Head;

        public ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken) => inner.GetRecordAsync(modelName, id, cancellationToken);

        public ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken) => inner.ListRecordsAsync(modelName, syncGroup, cancellationToken);

        public ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken) => inner.GetClientAsync(clientId, cancellationToken);

        public ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken) => inner.GetRejectionAsync(clientId, mutationId, cancellationToken);

        public async ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken)
        {
            if (store.Conflicts(batch))
            {
                throw new WriteConflictException("Interposed: this commit lost a conflict.", null);
            }
            CommittedBatch committed = await inner.CommitAsync(batch, cancellationToken);
            return store.Sequencing(batch, await committed.Sequenced) is { } later ? CommittedBatch.Later(later) : committed;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
