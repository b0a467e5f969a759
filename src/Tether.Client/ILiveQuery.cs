namespace Tether.Client;

/// <summary>
/// A query over the client's shown data that stays current: <see cref="Current"/> is the latest result, and
/// <see cref="Changed"/>, <see cref="IObservable{T}.Subscribe"/> and <see cref="WatchAsync"/> report each new result,
/// at most once per applied sync frame or local mutation (never once per action), and only when the result changed.
/// While observed, a query keeps its result and updates it from the records each change touched; records with equal
/// sort keys are in id order. <see cref="Where"/> and
/// <see cref="OrderBy{TKey}"/> return new queries; a query starts following changes when first observed and stops
/// when disposed.
/// </summary>
public interface ILiveQuery<T> : IObservable<IReadOnlyList<T>>, IDisposable
{
    /// <summary>The latest result: the shown records of the model (confirmed data with pending mutations applied)
    /// that pass the filters, in the query's order.</summary>
    IReadOnlyList<T> Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed, outside the client's lock; read <see cref="Current"/>
    /// for the new result.</summary>
    event EventHandler? Changed;

    /// <summary>A new query with only the records for which <paramref name="predicate"/> is true (combined with this
    /// query's filters).</summary>
    ILiveQuery<T> Where(Func<T, bool> predicate);

    /// <summary>A new query with only the records whose string <paramref name="field"/> (a property of the row, as in
    /// <c>i =&gt; i.ProjectId</c>) equals <paramref name="value"/>. It is checked on the stored JSON before a record is
    /// read into <typeparamref name="T"/>, and answered without a scan when the model declares an index on the field
    /// (<see cref="TetherClientOptions.Indexes"/>).</summary>
    ILiveQuery<T> WhereEquals(System.Linq.Expressions.Expression<Func<T, string?>> field, string value);

    /// <summary>A new query with the same filters, sorted ascending by <paramref name="key"/> (default comparer);
    /// after an earlier ordering, <paramref name="key"/> breaks its ties.</summary>
    ILiveQuery<T> OrderBy<TKey>(Func<T, TKey> key);

    /// <summary>A new query with the same filters, sorted descending by <paramref name="key"/> (default comparer);
    /// after an earlier ordering, <paramref name="key"/> breaks its ties.</summary>
    ILiveQuery<T> OrderByDescending<TKey>(Func<T, TKey> key);

    /// <summary>The current result, then every new one, until cancelled or disposed.</summary>
    IAsyncEnumerable<IReadOnlyList<T>> WatchAsync(CancellationToken cancellationToken = default);
}
