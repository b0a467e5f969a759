using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Client.Internal.Data;

/// <summary>
/// The client's <see cref="IMutationContext"/>: a mutator runs on the optimistic view and its writes are collected
/// here, so a mutator that throws halfway leaves nothing behind. Sync actions are the server's business: nothing of
/// this run is sent except the mutation's name and arguments.
/// </summary>
internal sealed class ViewMutationContext(OptimisticView view, string userId, IReadOnlySet<string> userSyncGroups, DateTimeOffset now) : IMutationContext
{
    private readonly Dictionary<(string Model, string Id), JsonObject?> _writes = [];

    public string UserId => userId;
    public bool IsAuthoritative => false;
    public DateTimeOffset Now => now;
    public IReadOnlySet<string> UserSyncGroups => userSyncGroups;

    /// <summary>The records this run wrote (null: deleted).</summary>
    public IReadOnlyDictionary<(string Model, string Id), JsonObject?> Writes => _writes;

    public ValueTask<Record?> GetAsync(string modelName, string id, CancellationToken cancellationToken = default)
    {
        JsonObject? data = Current(modelName, id);
        return ValueTask.FromResult(data is null ? null : new Record(modelName, id, (JsonObject)data.DeepClone(), []));
    }

    /// <summary>The client does not know which sync groups a record is in, so it lists every local record of the
    /// model: a superset of the server's answer. Mutators filter by fields as well.</summary>
    public ValueTask<IReadOnlyList<Record>> ListAsync(string modelName, string syncGroup, CancellationToken cancellationToken = default)
    {
        var ids = new HashSet<string>(view.Ids(modelName), StringComparer.Ordinal);
        foreach (((string model, string id), _) in _writes)
        {
            if (model == modelName)
            {
                ids.Add(id);
            }
        }
        var records = new List<Record>();
        foreach (string id in ids.Order(StringComparer.Ordinal))
        {
            if (Current(modelName, id) is { } data)
            {
                records.Add(new Record(modelName, id, (JsonObject)data.DeepClone(), []));
            }
        }
        return ValueTask.FromResult<IReadOnlyList<Record>>(records);
    }

    public ValueTask InsertAsync(string modelName, string id, JsonObject data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken = default)
    {
        if (Current(modelName, id) is not null)
        {
            throw MutationRejectedException.InvalidArgs($"A {modelName} with id '{id}' already exists.");
        }
        var record = (JsonObject)data.DeepClone();
        record["id"] = id;
        _writes[(modelName, id)] = record;
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(string modelName, string id, JsonObject patch, IReadOnlyCollection<string>? syncGroups = null, CancellationToken cancellationToken = default)
    {
        JsonObject record = (JsonObject?)Current(modelName, id)?.DeepClone()
            ?? throw MutationRejectedException.NotFound($"There is no {modelName} with id '{id}'.");
        foreach ((string field, JsonNode? value) in patch)
        {
            if (field != "id")
            {
                record[field] = value?.DeepClone();
            }
        }
        _writes[(modelName, id)] = record;
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(string modelName, string id, CancellationToken cancellationToken = default)
    {
        if (Current(modelName, id) is null)
        {
            throw MutationRejectedException.NotFound($"There is no {modelName} with id '{id}'.");
        }
        _writes[(modelName, id)] = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>Group changes are the server's to apply; the client learns them from a <c>groups</c> frame.</summary>
    public void SyncGroupsChanged(string userId)
    {
    }

    private JsonObject? Current(string modelName, string id)
        => _writes.TryGetValue((modelName, id), out JsonObject? written) ? written : view.Get(modelName, id);
}
