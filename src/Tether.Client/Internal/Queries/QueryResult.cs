using System.Collections;

namespace Tether.Client.Internal.Queries;

/// <summary>
/// A query's result as the app sees it: one immutable list per change. The rows are kept sorted in chunks of a few
/// dozen, so a change copies only the chunks it touches and the list of chunks, and every other chunk is shared
/// with the results before and after it. Finding a row's place costs O(log n) comparisons.
/// </summary>
internal sealed class QueryResult<T> : IReadOnlyList<T>
{
    // A chunk is split when it grows past twice this.
    private const int ChunkSize = 64;

    public static readonly QueryResult<T> Empty = new([], []);

    private readonly QueryRow<T>[][] _chunks;
    // _ends[i]: the number of rows in chunks 0 to i.
    private readonly int[] _ends;

    private QueryResult(QueryRow<T>[][] chunks, int[] ends)
    {
        _chunks = chunks;
        _ends = ends;
    }

    public int Count => _ends.Length == 0 ? 0 : _ends[^1];

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            int chunk = Array.BinarySearch(_ends, index + 1);
            chunk = chunk < 0 ? ~chunk : chunk;
            return _chunks[chunk][index - (chunk == 0 ? 0 : _ends[chunk - 1])].Value;
        }
    }

    /// <summary>The rows in order.</summary>
    public IEnumerable<QueryRow<T>> Rows => _chunks.SelectMany(chunk => chunk);

    /// <summary>A result of rows already in order.</summary>
    public static QueryResult<T> From(List<QueryRow<T>> sorted)
    {
        var chunks = new List<QueryRow<T>[]>((sorted.Count + ChunkSize - 1) / ChunkSize);
        for (int start = 0; start < sorted.Count; start += ChunkSize)
        {
            chunks.Add(sorted.GetRange(start, Math.Min(ChunkSize, sorted.Count - start)).ToArray());
        }
        return Of(chunks);
    }

    /// <summary>Starts the next result from this one.</summary>
    public Editor Edit(IComparer<QueryRow<T>> order) => new([.. _chunks], order);

    public IEnumerator<T> GetEnumerator()
    {
        foreach (QueryRow<T>[] chunk in _chunks)
        {
            foreach (QueryRow<T> row in chunk)
            {
                yield return row.Value;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static QueryResult<T> Of(List<QueryRow<T>[]> chunks)
    {
        var ends = new int[chunks.Count];
        int total = 0;
        for (int i = 0; i < chunks.Count; i++)
        {
            ends[i] = total += chunks[i].Length;
        }
        return new QueryResult<T>([.. chunks], ends);
    }

    /// <summary>The next result being made: rows removed and inserted in their place; each change copies one chunk.</summary>
    internal sealed class Editor(List<QueryRow<T>[]> chunks, IComparer<QueryRow<T>> order)
    {
        /// <summary>Removes a row that is in the result (found by its place in the order).</summary>
        public void Remove(QueryRow<T> row)
        {
            int c = ChunkFor(row);
            QueryRow<T>[] chunk = chunks[c];
            int at = Array.BinarySearch(chunk, row, order);
            if (at < 0)
            {
                throw new InvalidOperationException("A row to remove is not in the result.");
            }
            if (chunk.Length == 1)
            {
                chunks.RemoveAt(c);
                return;
            }
            var smaller = new QueryRow<T>[chunk.Length - 1];
            Array.Copy(chunk, smaller, at);
            Array.Copy(chunk, at + 1, smaller, at, chunk.Length - at - 1);
            chunks[c] = smaller;
        }

        public void Insert(QueryRow<T> row)
        {
            if (chunks.Count == 0)
            {
                chunks.Add([row]);
                return;
            }
            int c = Math.Min(ChunkFor(row), chunks.Count - 1);
            QueryRow<T>[] chunk = chunks[c];
            int at = ~Array.BinarySearch(chunk, row, order);
            var larger = new QueryRow<T>[chunk.Length + 1];
            Array.Copy(chunk, larger, at);
            larger[at] = row;
            Array.Copy(chunk, at, larger, at + 1, chunk.Length - at);
            if (larger.Length <= 2 * ChunkSize)
            {
                chunks[c] = larger;
                return;
            }
            chunks[c] = larger[..ChunkSize];
            chunks.Insert(c + 1, larger[ChunkSize..]);
        }

        public QueryResult<T> ToResult() => Of(chunks);

        /// <summary>The first chunk whose last row is not before <paramref name="row"/>; the count when none.</summary>
        private int ChunkFor(QueryRow<T> row)
        {
            int low = 0;
            int high = chunks.Count;
            while (low < high)
            {
                int middle = (low + high) / 2;
                if (order.Compare(chunks[middle][^1], row) < 0)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }
            return low;
        }
    }
}
