using System.Collections;
using System.Collections.Immutable;

namespace Tether.Client.Internal.Queries;

/// <summary>A query's result as the app sees it: an immutable list, one per change, sharing its structure with the
/// results before and after it.</summary>
internal sealed class QueryResult<T>(ImmutableList<QueryRow<T>> rows) : IReadOnlyList<T>
{
    public static readonly QueryResult<T> Empty = new([]);

    public ImmutableList<QueryRow<T>> Rows => rows;

    public T this[int index] => rows[index].Value;

    public int Count => rows.Count;

    public IEnumerator<T> GetEnumerator()
    {
        foreach (QueryRow<T> row in rows)
        {
            yield return row.Value;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
