namespace Tether.Server.Storage;

/// <summary>
/// What <see cref="ITetherWriteTransaction.CommitAsync"/> gives back once a batch is durably committed: when its sync
/// actions have their syncIds. A store that assigns them at commit (one writer at a time, as SQLite) answers
/// <see cref="At"/>; a store whose commits are put in the log's order afterwards (several writers, the log built from
/// the database's commit order) answers <see cref="Later"/>, and the server answers the batch's pushes only once
/// <see cref="Sequenced"/> completes.
/// </summary>
public sealed class CommittedBatch
{
    private CommittedBatch(Task<long> sequenced, bool sequencedLater)
    {
        Sequenced = sequenced;
        SequencedLater = sequencedLater;
    }

    /// <summary>Completes with the log's head at or after this transaction's own actions, once they have their
    /// syncIds (with no actions: a head at or after every transaction committed before it). Faults with
    /// <see cref="TimeoutException"/> when the store gives up waiting; the batch stays committed.</summary>
    public Task<long> Sequenced { get; }

    /// <summary>False when the store gave the batch its syncIds at commit: <see cref="Sequenced"/> is then already
    /// complete with <see cref="WriteBatch.HeadAfter"/> of the transaction's <see cref="ITetherWriteTransaction.Head"/>.</summary>
    public bool SequencedLater { get; }

    /// <summary>A batch whose actions took their syncIds at commit; <paramref name="head"/> is the head after it.</summary>
    public static CommittedBatch At(long head) => new(Task.FromResult(head), sequencedLater: false);

    /// <summary>A batch whose actions get their syncIds after the commit; <paramref name="sequenced"/> completes
    /// as <see cref="Sequenced"/> says.</summary>
    public static CommittedBatch Later(Task<long> sequenced)
    {
        ArgumentNullException.ThrowIfNull(sequenced);
        return new CommittedBatch(sequenced, sequencedLater: true);
    }
}
