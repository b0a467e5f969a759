namespace Tether.Server.Storage;

/// <summary>
/// The one write transaction of the mutation pipeline. Nothing is visible to readers before <see cref="CommitAsync"/>;
/// disposing without committing rolls everything back. Failures of the database surface as exceptions, which the
/// pipeline treats as transient (503) for the whole batch.
/// </summary>
public interface ITetherWriteTransaction : IRecordReader, IAsyncDisposable
{
    /// <summary>The greatest syncId inside this transaction so far (committed ones plus those appended here).</summary>
    long Head { get; }

    ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Creates the client (owned by <paramref name="userId"/>) or moves its lastMutationId.</summary>
    ValueTask SetLastMutationIdAsync(string clientId, string userId, long lastMutationId, CancellationToken cancellationToken);

    /// <summary>Keeps why a mutation was refused, so that a retry of its id is answered with the same refusal.</summary>
    ValueTask AddRejectionAsync(string clientId, long mutationId, StoredRejection rejection, CancellationToken cancellationToken);

    /// <summary>Why the mutation was refused, or null when it was not (it applied).</summary>
    ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken);

    /// <summary>Forgets the refusals of a client's ids below <paramref name="mutationId"/>: a client sends its queue
    /// in order from the oldest unanswered mutation, so a push starting there shows the earlier answers arrived.</summary>
    ValueTask ForgetRejectionsBeforeAsync(string clientId, long mutationId, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a record with its full JSON text and its sync groups.</summary>
    ValueTask PutRecordAsync(string modelName, string id, string data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken);

    ValueTask DeleteRecordAsync(string modelName, string id, CancellationToken cancellationToken);

    /// <summary>Appends a sync action and returns its syncId (the next one after <see cref="Head"/>).</summary>
    ValueTask<long> AppendActionAsync(NewSyncAction action, CancellationToken cancellationToken);

    /// <summary>Records that the groups of <paramref name="userId"/> change at <paramref name="syncId"/>.</summary>
    ValueTask AddGroupChangeAsync(long syncId, string userId, CancellationToken cancellationToken);

    /// <summary>Starts a savepoint (one per mutation); <see cref="Head"/> is restored when it is rolled back.</summary>
    ValueTask SavepointAsync(CancellationToken cancellationToken);

    ValueTask ReleaseSavepointAsync(CancellationToken cancellationToken);

    ValueTask RollbackToSavepointAsync(CancellationToken cancellationToken);

    /// <summary>Makes everything durable at once (one commit for the whole batch).</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}
