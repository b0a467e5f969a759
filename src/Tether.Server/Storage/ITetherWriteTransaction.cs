namespace Tether.Server.Storage;

/// <summary>
/// A write transaction of the mutation pipeline: reads as of the transaction, then one commit of a whole
/// <see cref="WriteBatch"/>. Nothing is visible to readers before <see cref="CommitAsync"/> returns; disposing
/// without committing leaves the store as it was. Failures of the database surface as exceptions, which the pipeline
/// treats as transient (503) for the whole batch, except <see cref="RecordRefusedException"/> (a record the database
/// refuses for good costs only the mutation that wrote it) and <see cref="WriteConflictException"/> (the transaction
/// lost to a concurrent writer, and is run again).
/// </summary>
public interface ITetherWriteTransaction : IRecordReader, IAsyncDisposable
{
    /// <summary>The greatest committed syncId when the transaction began (0 when the log is empty). With
    /// <see cref="ITetherStore.Writers"/> at 1 no other writer commits while the transaction is open, so the batch's
    /// actions continue from <c>Head + 1</c>. With more, it is only the base of the batch's provisional syncIds: the
    /// store may give its actions others (<see cref="CommittedBatch.Sequenced"/> then says where they ended).</summary>
    long Head { get; }

    /// <summary>The client as committed, or null when it has never pushed.</summary>
    ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Why the mutation was refused, or null when no refusal of it is kept.</summary>
    ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken);

    /// <summary>Writes the whole batch and commits it, atomically: after a failure nothing of it is written. A batch
    /// whose actions do not run <c>Head + 1, Head + 2, …</c> is refused with <see cref="InvalidOperationException"/>
    /// before anything is written (<see cref="WriteBatch.CheckContinues"/>). Returns once the commit is durable; the
    /// result says when the batch's actions have their syncIds. Called at most once.</summary>
    ValueTask<CommittedBatch> CommitAsync(WriteBatch batch, CancellationToken cancellationToken);
}
