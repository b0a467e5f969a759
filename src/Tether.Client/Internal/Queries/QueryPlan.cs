using System.Linq.Expressions;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Client.Internal.Data;
using Tether.Mutators;

namespace Tether.Client.Internal.Queries;

/// <summary>What a query asks for: field equalities (checked on the JSON, answered by an index when the model
/// declares one), filters on the typed rows, and an ordering made total by the record id, so that every row has
/// exactly one place in a result and an update can find it by binary search.</summary>
internal sealed class QueryPlan<T>(
    string model,
    JsonTypeInfo<T> type,
    (string Field, string Value)[] equalities,
    Func<T, bool>[] filters,
    Comparison<T>[] orderings) : IComparer<QueryRow<T>>
{
    public static QueryPlan<T> Of(string model, JsonTypeInfo<T> type) => new(model, type, [], [], []);

    public string Model => model;

    public JsonTypeInfo<T> Type => type;

    // Arrays, not immutable lists: Compare runs O(log n) times per changed row, and enumerating an array costs nothing.
    public QueryPlan<T> WithEquality(string field, string value) => new(model, type, [.. equalities, (field, value)], filters, orderings);

    public QueryPlan<T> WithFilter(Func<T, bool> filter) => new(model, type, equalities, [.. filters, filter], orderings);

    public QueryPlan<T> WithOrdering(Comparison<T> ordering) => new(model, type, equalities, filters, [.. orderings, ordering]);

    /// <summary>The row for a shown record, or null when the query does not include it. Reads into the type (through
    /// <paramref name="rows"/> when given) only records whose fields pass the equalities.</summary>
    public QueryRow<T>? Row(string id, byte[]? data, RowCache<T>? rows)
    {
        if (data is null)
        {
            return null;
        }
        foreach ((string field, string value) in equalities)
        {
            if (JsonField.StringValue(data, field) != value)
            {
                return null;
            }
        }
        T row = rows is null ? JsonSerializer.Deserialize(data, type)! : rows.Read(id, data);
        foreach (Func<T, bool> filter in filters)
        {
            if (!filter(row))
            {
                return null;
            }
        }
        return new QueryRow<T>(id, row);
    }

    /// <summary>The result from scratch: the candidates of the first indexed equality, or every shown record.</summary>
    public QueryResult<T> Evaluate(ClientData data, RowCache<T>? cache)
    {
        var rows = new List<QueryRow<T>>();
        foreach ((string id, byte[] json) in Candidates(data.Model(model)))
        {
            if (Row(id, json, cache) is { } row)
            {
                rows.Add(row);
            }
        }
        rows.Sort(this);
        return QueryResult<T>.From(rows);
    }

    /// <summary>The records an evaluation reads: those the first indexed equality names, or every shown record.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Candidates(ModelData records)
        => IndexedIds(records) is { } ids
            ? ids.Select(id => new KeyValuePair<string, byte[]>(id, records.Shown(id)!))
            : records.ShownRecords();

    /// <summary>How many records an evaluation from scratch would read.</summary>
    public int CandidateCount(ModelData records)
        => IndexedIds(records)?.Count() ?? records.Confirmed.Count + records.Overlay.Count;

    /// <summary>The ids the first equality with an index names; null when none has one.</summary>
    private IEnumerable<string>? IndexedIds(ModelData records)
    {
        foreach ((string field, string value) in equalities)
        {
            if (records.Lookup(field, value) is { } ids)
            {
                return ids;
            }
        }
        return null;
    }

    public int Compare(QueryRow<T> x, QueryRow<T> y)
    {
        foreach (Comparison<T> ordering in orderings)
        {
            int order = ordering(x.Value, y.Value);
            if (order != 0)
            {
                return order;
            }
        }
        return string.CompareOrdinal(x.Id, y.Id);
    }

    /// <summary>The JSON name of the property <paramref name="field"/> selects, as the type's contract writes it.</summary>
    public static string FieldName(JsonTypeInfo<T> type, Expression<Func<T, string?>> field)
        => JsonMembers.PropertyOf(type, field).Name;
}

/// <summary>A row of a result: the record's id and its typed value.</summary>
internal readonly record struct QueryRow<T>(string Id, T Value);
