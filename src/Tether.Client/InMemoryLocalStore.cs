using Tether.Mutators;
namespace Tether.Client;

/// <summary>A local store that lives as long as the object: for tests and for apps that need no persistence.
/// Writes are atomic because they are applied under a lock; a bulk write is staged on a copy and swapped in.</summary>
public sealed class InMemoryLocalStore : ILocalStore
{
    private readonly Lock _lock = new();
    // Held by a bulk write from its start to its end, and by every write: nothing lands between a bulk write's copy
    // and its swap, where the swap would drop it.
    private readonly SemaphoreSlim _writer = new(1, 1);
    private Dictionary<(string, string), string> _records = [];
    private readonly SortedDictionary<long, PendingMutation> _pending = [];
    private LocalMetadata _metadata = new();

    /// <inheritdoc />
    public ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            StoredRecord[] records = [.. _records.Select(r => new StoredRecord(r.Key.Item1, r.Key.Item2, r.Value))];
            return ValueTask.FromResult(new LocalSnapshot(_metadata, records, [.. _pending.Values]));
        }
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                if (write.ClearRecords)
                {
                    _records.Clear();
                }
                Apply(_records, write.Records);
                ApplyRest(write);
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>The chunks go into a copy of the records (an empty one when clearing), which replaces them at the
    /// commit; until then readers see the records as they were.</remarks>
    public async ValueTask<ILocalBulkWrite> BeginBulkWriteAsync(bool clearRecords, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            return new BulkWrite(this, clearRecords ? [] : new Dictionary<(string, string), string>(_records));
        }
    }

    /// <summary>Does nothing: the data lives as long as the object.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void Apply(Dictionary<(string, string), string> records, IReadOnlyList<LocalRecordChange> changes)
    {
        foreach (LocalRecordChange change in changes)
        {
            if (change.Data is null)
            {
                records.Remove((change.ModelName, change.Id));
            }
            else
            {
                records[(change.ModelName, change.Id)] = change.Data;
            }
        }
    }

    /// <summary>The pending and metadata part of <paramref name="write"/>; the caller holds <see cref="_lock"/>.</summary>
    private void ApplyRest(LocalWrite write)
    {
        foreach (PendingMutation mutation in write.AddPending)
        {
            _pending[mutation.Id] = mutation;
        }
        foreach (long id in write.RemovePending)
        {
            _pending.Remove(id);
        }
        _metadata = write.Metadata ?? _metadata;
    }

    /// <summary>Applies <paramref name="last"/>'s records to the staged <paramref name="records"/> and swaps them in
    /// with the rest of <paramref name="last"/>, so readers see all of the bulk write or none of it.</summary>
    private void CommitBulk(Dictionary<(string, string), string> records, LocalWrite last)
    {
        Apply(records, last.Records);
        lock (_lock)
        {
            _records = records;
            ApplyRest(last);
        }
    }

    private sealed class BulkWrite(InMemoryLocalStore store, Dictionary<(string, string), string> staged) : ILocalBulkWrite
    {
        private bool _finished;

        public ValueTask AddAsync(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_finished, this);
            try
            {
                ArgumentNullException.ThrowIfNull(records);
                cancellationToken.ThrowIfCancellationRequested();
                Apply(staged, records);
            }
            catch
            {
                // Like the stores on disk: a failed chunk ends the whole bulk write.
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
                ArgumentNullException.ThrowIfNull(last);
                if (last.ClearRecords)
                {
                    throw new ArgumentException("A bulk write clears when it begins, not at its commit.", nameof(last));
                }
                cancellationToken.ThrowIfCancellationRequested();
                store.CommitBulk(staged, last);
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
            store._writer.Release();
        }
    }
}
