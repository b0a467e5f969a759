namespace Tether.Server.Storage;

/// <summary>
/// Everything one commit writes, built by the server's pipeline: each record's and each client's final state (each
/// at most once), the sync actions with their syncIds already assigned, the group changes, and the refusals kept and
/// forgotten. A store writes it all or nothing; within it, <see cref="ForgottenRejections"/> apply before
/// <see cref="Rejections"/>, and nothing else depends on order.
/// </summary>
public sealed class WriteBatch
{
    /// <summary>Each record's new state (put or deleted), each record at most once.</summary>
    public IReadOnlyList<RecordWrite> Records { get; init; } = [];

    /// <summary>The actions to append, ascending by syncId, continuing the transaction's head without a hole.</summary>
    public IReadOnlyList<LogEntry> Actions { get; init; } = [];

    /// <summary>Users whose groups change, each at the first syncId of the mutation that changed them.</summary>
    public IReadOnlyList<GroupChange> GroupChanges { get; init; } = [];

    /// <summary>Clients created or moved to a new lastMutationId.</summary>
    public IReadOnlyList<ClientState> Clients { get; init; } = [];

    /// <summary>Refusals no longer kept; applied before <see cref="Rejections"/>.</summary>
    public IReadOnlyList<ForgottenRejections> ForgottenRejections { get; init; } = [];

    /// <summary>Refusals to keep (replacing one kept for the same client and mutation).</summary>
    public IReadOnlyList<StoredRejection> Rejections { get; init; } = [];

    /// <summary>The head after this batch, given the head it continues.</summary>
    public long HeadAfter(long head) => Actions.Count == 0 ? head : Actions[^1].SyncId;

    /// <summary>Throws <see cref="InvalidOperationException"/> unless the actions run <c>head + 1, head + 2, …</c>:
    /// a store calls it at commit, against the head it holds, so that no batch can leave a hole or reuse a syncId
    /// (a batch built against a head that another writer has since moved).</summary>
    public void CheckContinues(long head)
    {
        for (int i = 0; i < Actions.Count; i++)
        {
            if (Actions[i].SyncId != head + 1 + i)
            {
                throw new InvalidOperationException(
                    $"The batch's action {i} has syncId {Actions[i].SyncId} where {head + 1 + i} was expected: it does not continue the store's head ({head}).");
            }
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless the batch has only sync actions and group changes: what
    /// an app's own transaction appends (<see cref="ITetherLogAppender.AppendAsync"/>), having written its rows itself.</summary>
    public void CheckLogOnly()
    {
        if (Records.Count > 0 || Clients.Count > 0 || Rejections.Count > 0 || ForgottenRejections.Count > 0)
        {
            throw new ArgumentException("An app's transaction appends only sync actions and group changes: it writes its rows itself.", "batch");
        }
    }
}
