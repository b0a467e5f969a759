using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Tether.Client.Internal.Data;

namespace Tether.Client.Internal.Queries;

/// <summary>
/// A query over one model of <see cref="ClientData"/>. While observed it keeps its typed result and updates it in
/// place from each publish's changed records: a change of k records costs it O(k log n), reads only those k records
/// and notifies only when its result changed. Unobserved, <see cref="Current"/> is evaluated from scratch.
/// </summary>
internal sealed class LiveQuery<T> : ILiveQuery<T>, IHubQuery
{
    // Past this share of the records an evaluation reads, one evaluation from scratch is cheaper than as many single
    // updates.
    private const int RebuildDivisor = 4;

    private readonly QueryHub _hub;
    private readonly QueryPlan<T> _plan;
    private readonly JsonTypeInfo<T> _type;
    private readonly Lock _lock = new();
    private readonly List<IObserver<IReadOnlyList<T>>> _observers = [];
    private readonly Dictionary<string, QueryRow<T>> _byId = new(StringComparer.Ordinal);
    private EventHandler? _changed;
    private QueryResult<T> _current = QueryResult<T>.Empty;
    private bool _registered;
    // Registered and evaluated: until the hub has evaluated it, Current is computed from scratch.
    private bool _ready;
    private bool _disposed;

    public LiveQuery(QueryHub hub, string model, JsonTypeInfo<T> type)
        : this(hub, QueryPlan<T>.Of(model, type), type)
    {
    }

    private LiveQuery(QueryHub hub, QueryPlan<T> plan, JsonTypeInfo<T> type)
    {
        _hub = hub;
        _plan = plan;
        _type = type;
    }

    public string Model => _plan.Model;

    public IReadOnlyList<T> Current
    {
        get
        {
            lock (_lock)
            {
                if (_ready)
                {
                    return _current;
                }
            }
            return _plan.Evaluate(_hub.Data, cache: null);
        }
    }

    public event EventHandler? Changed
    {
        add
        {
            lock (_lock)
            {
                _changed += value;
            }
            Register();
        }
        remove
        {
            lock (_lock)
            {
                _changed -= value;
            }
            UnregisterIfUnobserved();
        }
    }

    public ILiveQuery<T> Where(Func<T, bool> predicate) => new LiveQuery<T>(_hub, _plan.WithFilter(predicate), _type);

    public ILiveQuery<T> WhereEquals(Expression<Func<T, string?>> field, string value)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        return new LiveQuery<T>(_hub, _plan.WithEquality(QueryPlan<T>.FieldName(_type, field), value), _type);
    }

    public ILiveQuery<T> OrderBy<TKey>(Func<T, TKey> key)
    {
        Comparer<TKey> comparer = Comparer<TKey>.Default;
        return new LiveQuery<T>(_hub, _plan.WithOrdering((x, y) => comparer.Compare(key(x), key(y))), _type);
    }

    public ILiveQuery<T> OrderByDescending<TKey>(Func<T, TKey> key)
    {
        Comparer<TKey> comparer = Comparer<TKey>.Default;
        return new LiveQuery<T>(_hub, _plan.WithOrdering((x, y) => comparer.Compare(key(y), key(x))), _type);
    }

    public IDisposable Subscribe(IObserver<IReadOnlyList<T>> observer)
    {
        lock (_lock)
        {
            _observers.Add(observer);
        }
        Register();
        observer.OnNext(Current);
        return new Unsubscriber(() =>
        {
            lock (_lock)
            {
                _observers.Remove(observer);
            }
            UnregisterIfUnobserved();
        });
    }

    public async IAsyncEnumerable<IReadOnlyList<T>> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Capacity 1, newest wins: a slow consumer sees the latest result, not a backlog of stale ones.
        var results = Channel.CreateBounded<IReadOnlyList<T>>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        using IDisposable subscription = Subscribe(new ChannelObserver(results.Writer));
        await foreach (IReadOnlyList<T> result in results.Reader.ReadAllAsync(cancellationToken))
        {
            yield return result;
        }
    }

    /// <summary>Called by the hub (which orders the calls) when it starts following this query.</summary>
    void IHubQuery.Reset(ClientData data)
    {
        QueryResult<T> rows = _plan.Evaluate(data, Rows());
        lock (_lock)
        {
            Replace(rows);
        }
    }

    /// <summary>Called by the hub, in publish order, with a publish's changed records of this query's model; tells
    /// every listener when the result changed. A listener that throws is reported, and the others still run.</summary>
    void IHubQuery.Apply(ClientData data, ModelChange change, Action<Exception> handlerFailed)
    {
        QueryResult<T> result;
        EventHandler? changed;
        IObserver<IReadOnlyList<T>>[] observers;
        lock (_lock)
        {
            if (_disposed || !_ready || !Update(data, change))
            {
                return;
            }
            result = _current;
            changed = _changed;
            observers = [.. _observers];
        }
        foreach (EventHandler handler in changed?.GetInvocationList().Cast<EventHandler>() ?? [])
        {
            Guard(() => handler(this, EventArgs.Empty), handlerFailed);
        }
        foreach (IObserver<IReadOnlyList<T>> observer in observers)
        {
            Guard(() => observer.OnNext(result), handlerFailed);
        }
    }

    /// <summary>Takes the changed records into the result (lock held); false when the result is the same.</summary>
    private bool Update(ClientData data, ModelChange change)
    {
        ModelData records = data.Model(_plan.Model);
        if (change.IsAll || change.Ids.Count > Math.Max(64, _plan.CandidateCount(records) / RebuildDivisor))
        {
            QueryResult<T> rows = _plan.Evaluate(data, Rows());
            if (rows.Rows.SequenceEqual(_current.Rows))
            {
                return false;
            }
            Replace(rows);
            return true;
        }
        RowCache<T> cache = Rows();
        QueryResult<T>.Editor next = _current.Edit(_plan);
        bool changed = false;
        foreach (string id in change.Ids)
        {
            QueryRow<T>? row = _plan.Row(id, records.Shown(id), cache);
            bool had = _byId.TryGetValue(id, out QueryRow<T> old);
            // A row equal to the one shown (a change in a field the type does not carry) keeps its place and the
            // result stays the same.
            if (had && row is { } same && EqualityComparer<T>.Default.Equals(old.Value, same.Value))
            {
                continue;
            }
            if (had)
            {
                next.Remove(old);
                _byId.Remove(id);
                changed = true;
            }
            if (row is { } added)
            {
                next.Insert(added);
                _byId[id] = added;
                changed = true;
            }
        }
        if (changed)
        {
            _current = next.ToResult();
        }
        return changed;
    }

    private RowCache<T> Rows() => _hub.Rows(_plan.Model, _plan.Type);

    object IHubQuery.CacheKey => _plan.Type;

    private void Replace(QueryResult<T> rows)
    {
        _current = rows;
        _ready = _registered;
        _byId.Clear();
        foreach (QueryRow<T> row in rows.Rows)
        {
            _byId[row.Id] = row;
        }
    }

    private static void Guard(Action deliver, Action<Exception> handlerFailed)
    {
        try
        {
            deliver();
        }
        catch (Exception e)
        {
            handlerFailed(e);
        }
    }

    public void Dispose()
    {
        IObserver<IReadOnlyList<T>>[] observers;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _registered = false;
            _ready = false;
            observers = [.. _observers];
            _observers.Clear();
        }
        _hub.Unregister(this);
        foreach (IObserver<IReadOnlyList<T>> observer in observers)
        {
            observer.OnCompleted();
        }
    }

    /// <summary>A query nobody listens to any more stops following changes (it can be observed again).</summary>
    private void UnregisterIfUnobserved()
    {
        lock (_lock)
        {
            if (!_registered || _changed is not null || _observers.Count > 0)
            {
                return;
            }
            _registered = false;
            _ready = false;
            _byId.Clear();
            _current = QueryResult<T>.Empty;
        }
        _hub.Unregister(this);
    }

    private void Register()
    {
        lock (_lock)
        {
            if (_registered || _disposed)
            {
                return;
            }
            _registered = true;
        }
        _hub.Register(this);
    }

    private sealed class Unsubscriber(Action unsubscribe) : IDisposable
    {
        public void Dispose() => unsubscribe();
    }

    private sealed class ChannelObserver(ChannelWriter<IReadOnlyList<T>> writer) : IObserver<IReadOnlyList<T>>
    {
        public void OnCompleted() => writer.TryComplete();
        public void OnError(Exception error) => writer.TryComplete(error);
        public void OnNext(IReadOnlyList<T> value) => writer.TryWrite(value);
    }
}
