using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace Tether.Client.Internal;

/// <summary>A query over one model of <see cref="PublishedData"/>: filters and orderings applied to the typed rows.</summary>
internal sealed class LiveQuery<T> : ILiveQuery<T>
{
    private readonly QueryHub _hub;
    private readonly string _model;
    private readonly JsonTypeInfo<T> _type;
    private readonly ImmutableList<Func<T, bool>> _filters;
    private readonly Func<IEnumerable<T>, IEnumerable<T>> _order;
    private readonly Lock _lock = new();
    private readonly Lock _deliver = new();
    private readonly List<IObserver<IReadOnlyList<T>>> _observers = [];
    private EventHandler? _changed;
    private IReadOnlyList<T>? _current;
    private bool _registered;
    private bool _disposed;

    public LiveQuery(QueryHub hub, string model, JsonTypeInfo<T> type)
        : this(hub, model, type, [], rows => rows)
    {
    }

    private LiveQuery(QueryHub hub, string model, JsonTypeInfo<T> type, ImmutableList<Func<T, bool>> filters, Func<IEnumerable<T>, IEnumerable<T>> order)
    {
        _hub = hub;
        _model = model;
        _type = type;
        _filters = filters;
        _order = order;
    }

    public string Model => _model;

    public IReadOnlyList<T> Current
    {
        get
        {
            lock (_lock)
            {
                return _registered && _current is not null ? _current : Evaluate();
            }
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

    public ILiveQuery<T> Where(Func<T, bool> predicate) => new LiveQuery<T>(_hub, _model, _type, _filters.Add(predicate), _order);

    public ILiveQuery<T> OrderBy<TKey>(Func<T, TKey> key)
    {
        Func<IEnumerable<T>, IEnumerable<T>> previous = _order;
        return new LiveQuery<T>(_hub, _model, _type, _filters, rows => previous(rows) is IOrderedEnumerable<T> ordered ? ordered.ThenBy(key) : previous(rows).OrderBy(key));
    }

    public ILiveQuery<T> OrderByDescending<TKey>(Func<T, TKey> key)
    {
        Func<IEnumerable<T>, IEnumerable<T>> previous = _order;
        return new LiveQuery<T>(_hub, _model, _type, _filters, rows => previous(rows) is IOrderedEnumerable<T> ordered ? ordered.ThenByDescending(key) : previous(rows).OrderByDescending(key));
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

    /// <summary>Called by the hub after the model changed; evaluates once and tells every listener. Delivery holds
    /// the query's delivery lock, so results reach listeners in the order they were computed (a local mutation and a
    /// sync frame may refresh at the same time); a listener that throws is reported, and the others still run.</summary>
    internal void Refresh(Action<Exception> handlerFailed)
    {
        lock (_deliver)
        {
            IReadOnlyList<T> result;
            EventHandler? changed;
            IObserver<IReadOnlyList<T>>[] observers;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }
                _current = result = Evaluate();
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
            _current = Evaluate();
        }
        _hub.Register(this);
    }

    private IReadOnlyList<T> Evaluate()
    {
        IEnumerable<T> rows = _hub.Data.Model(_model).Values.Select(row => JsonSerializer.Deserialize(row, _type)!);
        foreach (Func<T, bool> filter in _filters)
        {
            rows = rows.Where(filter);
        }
        return [.. _order(rows)];
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

/// <summary>The registered live queries of a client, told which models changed after each applied change.</summary>
internal sealed class QueryHub(PublishedData data, Action<Exception> handlerFailed)
{
    private readonly Lock _lock = new();
    private readonly List<(string Model, Action<Action<Exception>> Refresh, IDisposable Query)> _queries = [];

    public PublishedData Data => data;

    public void Register<T>(LiveQuery<T> query)
    {
        lock (_lock)
        {
            _queries.Add((query.Model, query.Refresh, query));
        }
    }

    public void Unregister(IDisposable query)
    {
        lock (_lock)
        {
            _queries.RemoveAll(q => ReferenceEquals(q.Query, query));
        }
    }

    /// <summary>Refreshes every query of a changed model, once.</summary>
    public void Notify(IReadOnlySet<string> changedModels)
    {
        if (changedModels.Count == 0)
        {
            return;
        }
        Action<Action<Exception>>[] refreshes;
        lock (_lock)
        {
            refreshes = [.. _queries.Where(q => changedModels.Contains(q.Model)).Select(q => q.Refresh)];
        }
        foreach (Action<Action<Exception>> refresh in refreshes)
        {
            refresh(handlerFailed);
        }
    }

    /// <summary>Ends every live query (the client is disposed): observers complete, watchers stop.</summary>
    public void DisposeAll()
    {
        IDisposable[] queries;
        lock (_lock)
        {
            queries = [.. _queries.Select(q => q.Query)];
        }
        foreach (IDisposable query in queries)
        {
            query.Dispose();
        }
    }
}
