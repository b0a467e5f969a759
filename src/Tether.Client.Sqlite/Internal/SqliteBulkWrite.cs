namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// An open <see cref="SqliteLocalStore.BeginBulkWriteAsync"/>: the store's transaction and its gate, held until the
/// commit, a failure or disposal. Whatever ends it first rolls back what did not commit and releases the gate once.
/// </summary>
internal sealed class SqliteBulkWrite(SqliteLocalStore store) : ILocalBulkWrite
{
    private bool _finished;

    public ValueTask AddAsync(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            store.WriteBulkChunk(records, cancellationToken);
        }
        catch
        {
            // Nothing half-written: a chunk that failed part-way cannot be taken back alone, so the whole write goes.
            Finish();
            throw;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(LocalWrite last, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            store.CommitBulk(last, cancellationToken);
        }
        finally
        {
            Finish();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            Finish();
        }

        return ValueTask.CompletedTask;
    }

    private void Finish()
    {
        _finished = true;
        store.EndBulk();
    }
}
