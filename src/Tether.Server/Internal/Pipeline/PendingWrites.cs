using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server.Storage;
using StoredGroupChange = Tether.Server.Storage.GroupChange;

namespace Tether.Server.Internal.Pipeline;

/// <summary>A position in <see cref="PendingWrites"/>: rolling back to it drops every write made after it.</summary>
internal readonly record struct WriteMark(int Journal, int Actions, int GroupChanges);

/// <summary>
/// The writes of one batch, held in memory until the batch commits as one <see cref="WriteBatch"/>. Reads go through
/// it, so a mutation sees the batch's earlier writes over the store's committed state (lists included), and it
/// assigns syncIds from the transaction's head in order. <see cref="Mark"/> and <see cref="RollbackTo"/> take the
/// place of savepoints: a refused mutation's writes are dropped here and never reach the store. A failure of the
/// store during a read surfaces as <see cref="StoreFailureException"/>. Only the writer's thread uses it.
/// </summary>
internal sealed class PendingWrites(ITetherWriteTransaction transaction) : IRecordReader
{
    private readonly Dictionary<string, Dictionary<string, RecordWrite>> _records = new(StringComparer.Ordinal);
    private readonly List<LogEntry> _actions = [];
    private readonly List<StoredGroupChange> _groupChanges = [];
    private readonly Dictionary<string, ClientState> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ClientId, long MutationId), StoredRejection> _rejections = [];
    private readonly Dictionary<string, long> _forgotten = new(StringComparer.Ordinal);
    // How to undo each change of the maps above, in the order they were made; the lists are cut back by count.
    private readonly List<Action> _undo = [];

    /// <summary>The greatest syncId so far: the committed head plus the actions appended here.</summary>
    public long Head => transaction.Head + _actions.Count;

    public WriteMark Mark() => new(_undo.Count, _actions.Count, _groupChanges.Count);

    /// <summary>Drops everything written after <paramref name="mark"/> (and with it every later mark).</summary>
    public void RollbackTo(WriteMark mark)
    {
        if (mark.Journal > _undo.Count || mark.Actions > _actions.Count || mark.GroupChanges > _groupChanges.Count)
        {
            throw new InvalidOperationException("This mark was already rolled back.");
        }
        for (int i = _undo.Count - 1; i >= mark.Journal; i--)
        {
            _undo[i]();
        }
        _undo.RemoveRange(mark.Journal, _undo.Count - mark.Journal);
        _actions.RemoveRange(mark.Actions, _actions.Count - mark.Actions);
        _groupChanges.RemoveRange(mark.GroupChanges, _groupChanges.Count - mark.GroupChanges);
    }

    public async ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        if (_records.TryGetValue(modelName, out Dictionary<string, RecordWrite>? pending) && pending.TryGetValue(id, out RecordWrite? write))
        {
            return write.IsDelete ? null : ToRecord(write);
        }
        return await ReadAsync(() => transaction.GetRecordAsync(modelName, id, cancellationToken));
    }

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        IReadOnlyList<Record> stored = await ReadAsync(() => transaction.ListRecordsAsync(modelName, syncGroup, cancellationToken));
        if (!_records.TryGetValue(modelName, out Dictionary<string, RecordWrite>? pending) || pending.Count == 0)
        {
            return stored;
        }
        var merged = new List<Record>(stored.Count);
        merged.AddRange(stored.Where(record => !pending.ContainsKey(record.Id)));
        merged.AddRange(pending.Values.Where(write => !write.IsDelete && write.SyncGroups.Contains(syncGroup, StringComparer.Ordinal)).Select(ToRecord));
        merged.Sort((a, b) => Utf8Order.Compare(a.Id, b.Id));
        return merged;
    }

    public async ValueTask<ClientState?> GetClientAsync(string clientId, CancellationToken cancellationToken)
        => _clients.TryGetValue(clientId, out ClientState? client)
            ? client
            : await ReadAsync(() => transaction.GetClientAsync(clientId, cancellationToken));

    public async ValueTask<StoredRejection?> GetRejectionAsync(string clientId, long mutationId, CancellationToken cancellationToken)
    {
        if (_rejections.TryGetValue((clientId, mutationId), out StoredRejection? pending))
        {
            return pending;
        }
        if (_forgotten.TryGetValue(clientId, out long before) && mutationId < before)
        {
            return null;
        }
        return await ReadAsync(() => transaction.GetRejectionAsync(clientId, mutationId, cancellationToken));
    }

    /// <summary>Inserts or replaces a record with its full JSON text and its sync groups.</summary>
    public void PutRecord(string modelName, string id, string data, IReadOnlyCollection<string> syncGroups)
    {
        string[] groups = [.. syncGroups.Distinct(StringComparer.Ordinal)];
        // Sorted as the stores return a record's groups, so a read gives the same list before and after the commit.
        Array.Sort(groups, Utf8Order.Compare);
        SetRecord(new RecordWrite(modelName, id, data, groups));
    }

    public void DeleteRecord(string modelName, string id) => SetRecord(new RecordWrite(modelName, id, null, []));

    /// <summary>Appends a sync action and returns its syncId, the next one after <see cref="Head"/>.</summary>
    public long AppendAction(string action, string modelName, string modelId, string? data, IReadOnlyCollection<string> syncGroups, string clientId, long mutationId)
    {
        long syncId = Head + 1;
        _actions.Add(new LogEntry(syncId, action, modelName, modelId, data, [.. syncGroups], clientId, mutationId));
        return syncId;
    }

    /// <summary>Records that the groups of <paramref name="userId"/> change at <paramref name="syncId"/>.</summary>
    public void AddGroupChange(long syncId, string userId) => _groupChanges.Add(new StoredGroupChange(syncId, userId));

    /// <summary>Creates the client (owned by <paramref name="userId"/>) or moves its lastMutationId.</summary>
    public void SetLastMutationId(string clientId, string userId, long lastMutationId)
        => Set(_clients, clientId, new ClientState(clientId, userId, lastMutationId));

    /// <summary>Keeps why a mutation was refused, so that a retry of its id is answered with the same refusal.</summary>
    public void AddRejection(string clientId, long mutationId, string code, string message)
        => Set(_rejections, (clientId, mutationId), new StoredRejection(clientId, mutationId, code, message));

    /// <summary>Forgets the refusals of a client's ids below <paramref name="mutationId"/>, the kept ones and those
    /// of this batch.</summary>
    public void ForgetRejectionsBefore(string clientId, long mutationId)
    {
        if (!_forgotten.TryGetValue(clientId, out long before) || before < mutationId)
        {
            Set(_forgotten, clientId, mutationId);
        }
        foreach ((string ClientId, long MutationId) key in _rejections.Keys.Where(key => key.ClientId == clientId && key.MutationId < mutationId).ToList())
        {
            StoredRejection removed = _rejections[key];
            _rejections.Remove(key);
            _undo.Add(() => _rejections[key] = removed);
        }
    }

    /// <summary>Commits everything written here in one batch.</summary>
    public ValueTask<CommittedBatch> CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(ToBatch(), cancellationToken);

    public WriteBatch ToBatch() => new()
    {
        Records = [.. _records.Values.SelectMany(writes => writes.Values)],
        Actions = [.. _actions],
        GroupChanges = [.. _groupChanges],
        Clients = [.. _clients.Values],
        ForgottenRejections = [.. _forgotten.Select(forgotten => new ForgottenRejections(forgotten.Key, forgotten.Value))],
        Rejections = [.. _rejections.Values],
    };

    private void SetRecord(RecordWrite write)
    {
        if (!_records.TryGetValue(write.ModelName, out Dictionary<string, RecordWrite>? writes))
        {
            writes = new Dictionary<string, RecordWrite>(StringComparer.Ordinal);
            _records[write.ModelName] = writes;
        }
        Set(writes, write.Id, write);
    }

    private void Set<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, TValue value)
        where TKey : notnull
    {
        if (map.TryGetValue(key, out TValue? previous))
        {
            _undo.Add(() => map[key] = previous);
        }
        else
        {
            _undo.Add(() => map.Remove(key));
        }
        map[key] = value;
    }

    /// <summary>A new copy each time: a mutator may change the object it was given.</summary>
    private static Record ToRecord(RecordWrite write)
        => new(write.ModelName, write.Id, (JsonObject)JsonNode.Parse(write.Data!)!, write.SyncGroups);

    private static async ValueTask<T> ReadAsync<T>(Func<ValueTask<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StoreFailureException(e);
        }
    }
}
