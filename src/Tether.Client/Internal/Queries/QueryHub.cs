using Tether.Client.Internal.Data;

namespace Tether.Client.Internal.Queries;

/// <summary>What the hub needs of a live query, whatever its row type.</summary>
internal interface IHubQuery : IDisposable
{
    string Model { get; }

    /// <summary>Queries of one model with the same key share their typed rows.</summary>
    object CacheKey { get; }

    /// <summary>Evaluates from scratch on <paramref name="data"/>.</summary>
    void Reset(ClientData data);

    /// <summary>Takes a publish's changed records of the query's model and notifies when the result changed.</summary>
    void Apply(ClientData data, ModelChange change, Action<Exception> handlerFailed);
}

/// <summary>
/// The registered live queries of a client. The client hands it each publish while holding its state lock, so the
/// hub sees them in order; the queries are updated after the lock is released, so app code in their handlers never
/// runs while the client holds it. Updates that pile up meanwhile are merged: each changed record is read once, from
/// the latest data.
/// </summary>
internal sealed class QueryHub(Action<Exception> handlerFailed)
{
    private readonly Lock _lock = new();
    // Held while queries are updated or start following, so that each sees the publishes in order.
    private readonly Lock _deliver = new();
    private readonly List<IHubQuery> _queries = [];
    private ClientData _data = ClientData.Empty;
    private Dictionary<string, ModelChange> _waiting = new(StringComparer.Ordinal);
    // Used under _deliver only.
    private readonly Dictionary<(string Model, object Type), IRowCache> _rows = [];

    /// <summary>The latest published data.</summary>
    public ClientData Data => Volatile.Read(ref _data);

    /// <summary>Takes the next publish (the client's state lock is held).</summary>
    public void Published(ClientData data, IReadOnlyDictionary<string, ModelChange> changes)
    {
        lock (_lock)
        {
            Volatile.Write(ref _data, data);
            foreach ((string model, ModelChange change) in changes)
            {
                _waiting[model] = _waiting.TryGetValue(model, out ModelChange? earlier) ? Merge(earlier, change) : change;
            }
        }
    }

    /// <summary>Updates every query of a changed model with what was published since the last call.</summary>
    public void Notify()
    {
        lock (_deliver)
        {
            ClientData data;
            Dictionary<string, ModelChange> changes;
            IHubQuery[] queries;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    return;
                }
                data = _data;
                changes = _waiting;
                _waiting = new Dictionary<string, ModelChange>(StringComparer.Ordinal);
                queries = [.. _queries];
            }
            foreach (((string model, _), IRowCache rows) in _rows)
            {
                if (changes.TryGetValue(model, out ModelChange? change))
                {
                    rows.Forget(data.Model(model), change);
                }
            }
            foreach (IHubQuery query in queries)
            {
                if (changes.TryGetValue(query.Model, out ModelChange? change))
                {
                    query.Apply(data, change, handlerFailed);
                }
            }
        }
    }

    /// <summary>Starts following a query: it is evaluated on the latest data, and gets every publish after it.</summary>
    public void Register(IHubQuery query)
    {
        lock (_deliver)
        {
            ClientData data;
            lock (_lock)
            {
                _queries.Add(query);
                data = _data;
            }
            // Changes waiting for delivery are older than this data or part of it; applying them again is harmless.
            query.Reset(data);
        }
    }

    public void Unregister(IHubQuery query)
    {
        lock (_deliver)
        {
            lock (_lock)
            {
                _queries.Remove(query);
                if (!_queries.Any(q => q.Model == query.Model && q.CacheKey == query.CacheKey))
                {
                    _rows.Remove((query.Model, query.CacheKey));
                }
            }
        }
    }

    /// <summary>The typed rows shared by the queries of <paramref name="model"/> read with <paramref name="type"/>
    /// (called under the delivery lock, by a query being reset or updated).</summary>
    public RowCache<T> Rows<T>(string model, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (!_rows.TryGetValue((model, type), out IRowCache? rows))
        {
            _rows[(model, type)] = rows = new RowCache<T>(type);
        }
        return (RowCache<T>)rows;
    }

    /// <summary>Ends every live query (the client is disposed): observers complete, watchers stop.</summary>
    public void DisposeAll()
    {
        IHubQuery[] queries;
        lock (_lock)
        {
            queries = [.. _queries];
        }
        foreach (IHubQuery query in queries)
        {
            query.Dispose();
        }
    }

    private static ModelChange Merge(ModelChange earlier, ModelChange later)
        => earlier.IsAll || later.IsAll ? ModelChange.All : new ModelChange([.. earlier.Ids.Union(later.Ids, StringComparer.Ordinal)]);
}
