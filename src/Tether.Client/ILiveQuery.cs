namespace Tether.Client;

/// <summary>
/// A query over the client's shown data that stays current: <see cref="Current"/> is the latest result, and
/// <see cref="Changed"/>, <see cref="IObservable{T}.Subscribe"/> and <see cref="WatchAsync"/> report each new result,
/// at most once per applied sync frame or local mutation (never once per action). <see cref="Where"/> and
/// <see cref="OrderBy{TKey}"/> return new queries; a query starts following changes when first observed and stops
/// when disposed.
/// </summary>
public interface ILiveQuery<T> : IObservable<IReadOnlyList<T>>, IDisposable
{
    IReadOnlyList<T> Current { get; }

    event EventHandler? Changed;

    ILiveQuery<T> Where(Func<T, bool> predicate);

    ILiveQuery<T> OrderBy<TKey>(Func<T, TKey> key);

    ILiveQuery<T> OrderByDescending<TKey>(Func<T, TKey> key);

    /// <summary>The current result, then every new one, until cancelled or disposed.</summary>
    IAsyncEnumerable<IReadOnlyList<T>> WatchAsync(CancellationToken cancellationToken = default);
}
