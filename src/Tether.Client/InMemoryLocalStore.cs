using Tether.Mutators;
namespace Tether.Client;

/// <summary>A local store that lives as long as the object: for tests and for apps that need no persistence.
/// Writes are atomic because they are applied under a lock to copies.</summary>
public sealed class InMemoryLocalStore : ILocalStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string, string), string> _records = [];
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
    public ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (write.ClearRecords)
            {
                _records.Clear();
            }
            foreach (LocalRecordChange change in write.Records)
            {
                if (change.Data is null)
                {
                    _records.Remove((change.ModelName, change.Id));
                }
                else
                {
                    _records[(change.ModelName, change.Id)] = change.Data;
                }
            }
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
        return ValueTask.CompletedTask;
    }

    /// <summary>Does nothing: the data lives as long as the object.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
