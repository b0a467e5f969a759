using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Client.Internal.Data;

namespace Tether.Client.Internal.Queries;

/// <summary>
/// The typed rows of one model, shared by the observed queries that read it with the same type: a record is read
/// into <typeparamref name="T"/> once per change whatever the number of queries, and they all hold the same object.
/// A row is valid while its record's JSON is the same array (every change of a record brings a new one). It holds at
/// most one row per record: rows leave with their record, all of them with a replaced model, and the cache goes with
/// its last query. Used only under the hub's delivery lock.
/// </summary>
internal sealed class RowCache<T>(JsonTypeInfo<T> type) : IRowCache
{
    private readonly Dictionary<string, (byte[] Data, T Value)> _rows = new(StringComparer.Ordinal);

    public T Read(string id, byte[] data)
    {
        if (_rows.TryGetValue(id, out (byte[] Data, T Value) known) && ReferenceEquals(known.Data, data))
        {
            return known.Value;
        }
        T value = JsonSerializer.Deserialize(data, type)!;
        _rows[id] = (data, value);
        return value;
    }

    public void Forget(ModelData records, ModelChange change)
    {
        if (change.IsAll)
        {
            _rows.Clear();
            return;
        }
        foreach (string id in change.Ids)
        {
            if (records.Shown(id) is null)
            {
                _rows.Remove(id);
            }
        }
    }
}

/// <summary>What the hub does with a cache whatever its row type.</summary>
internal interface IRowCache
{
    void Forget(ModelData records, ModelChange change);
}
