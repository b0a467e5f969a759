namespace Tether.Client.Internal;

/// <summary>The bulk write of a store without a streaming path: the chunks are gathered and written with the final
/// part as one <see cref="ILocalStore.WriteAsync"/>, so atomicity is the store's own.</summary>
internal sealed class BufferedBulkWrite(ILocalStore store, bool clearRecords) : ILocalBulkWrite
{
    private readonly List<LocalRecordChange> _records = [];
    private bool _finished;

    public ValueTask AddAsync(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _records.AddRange(records);
        return ValueTask.CompletedTask;
    }

    public async ValueTask CommitAsync(LocalWrite last, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ArgumentNullException.ThrowIfNull(last);
        if (last.ClearRecords)
        {
            throw new ArgumentException("A bulk write clears when it begins, not at its commit.", nameof(last));
        }
        _finished = true;
        _records.AddRange(last.Records);
        await store.WriteAsync(last with { ClearRecords = clearRecords, Records = _records }, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _finished = true;
        _records.Clear();
        return ValueTask.CompletedTask;
    }
}
