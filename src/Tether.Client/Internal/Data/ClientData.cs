using System.Collections.Immutable;

namespace Tether.Client.Internal.Data;

/// <summary>
/// What readers see, as one immutable value published after every change: live queries, <c>Get</c> and
/// <c>ConfirmedSnapshot</c> read it on any thread without a lock, and successive values share all unchanged structure.
/// </summary>
internal sealed class ClientData(long lastSyncId, ImmutableDictionary<string, ModelData> models)
{
    public static readonly ClientData Empty = new(0, ImmutableDictionary.Create<string, ModelData>(StringComparer.Ordinal));

    /// <summary>The position the confirmed data reflects.</summary>
    public long LastSyncId => lastSyncId;

    public ImmutableDictionary<string, ModelData> Models => models;

    public ModelData Model(string modelName) => models.TryGetValue(modelName, out ModelData? model) ? model : ModelData.Empty;
}

/// <summary>
/// One model's records: the confirmed data (the server's) as UTF-8 JSON, the overlay of records that pending
/// mutations changed (null: deleted locally), and the declared indexes over the shown data (overlay over confirmed).
/// Each record is held once; the overlay holds only what pending mutations touched.
/// </summary>
internal sealed class ModelData(
    ImmutableDictionary<string, byte[]> confirmed,
    ImmutableDictionary<string, byte[]?> overlay,
    ImmutableDictionary<string, FieldIndex> indexes)
{
    public static readonly ModelData Empty = new(
        ImmutableDictionary.Create<string, byte[]>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, byte[]?>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, FieldIndex>(StringComparer.Ordinal));

    public ImmutableDictionary<string, byte[]> Confirmed => confirmed;

    public ImmutableDictionary<string, byte[]?> Overlay => overlay;

    public ImmutableDictionary<string, FieldIndex> Indexes => indexes;

    /// <summary>The shown record's JSON, or null.</summary>
    public byte[]? Shown(string id)
        => overlay.TryGetValue(id, out byte[]? local) ? local : confirmed.GetValueOrDefault(id);

    /// <summary>Every shown record.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> ShownRecords()
    {
        foreach (KeyValuePair<string, byte[]> record in confirmed)
        {
            if (!overlay.ContainsKey(record.Key))
            {
                yield return record;
            }
        }
        foreach (KeyValuePair<string, byte[]?> record in overlay)
        {
            if (record.Value is { } data)
            {
                yield return new KeyValuePair<string, byte[]>(record.Key, data);
            }
        }
    }

    /// <summary>The ids of the shown records whose <paramref name="field"/> is the string <paramref name="value"/>,
    /// or null when the field has no index (the caller scans).</summary>
    public IEnumerable<string>? Lookup(string field, string value)
    {
        if (field == IdField)
        {
            // Every record carries its key as its id: the key is the index.
            return Shown(value) is null ? [] : [value];
        }
        return indexes.TryGetValue(field, out FieldIndex? index) ? index.Ids(value) : null;
    }

    private const string IdField = "id";
}

/// <summary>A declared index: a string field's value to the ids of the shown records that have it.</summary>
internal sealed class FieldIndex(ImmutableDictionary<string, ImmutableHashSet<string>> ids)
{
    public static readonly FieldIndex Empty = new(ImmutableDictionary.Create<string, ImmutableHashSet<string>>(StringComparer.Ordinal));

    private static readonly ImmutableHashSet<string> None = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    public ImmutableDictionary<string, ImmutableHashSet<string>> Entries => ids;

    public IEnumerable<string> Ids(string value) => ids.GetValueOrDefault(value, None);

    public static void Remove(ImmutableDictionary<string, ImmutableHashSet<string>>.Builder entries, string value, string id)
    {
        if (entries.TryGetValue(value, out ImmutableHashSet<string>? set))
        {
            set = set.Remove(id);
            if (set.IsEmpty)
            {
                entries.Remove(value);
            }
            else
            {
                entries[value] = set;
            }
        }
    }

    public static void Add(ImmutableDictionary<string, ImmutableHashSet<string>>.Builder entries, string value, string id)
        => entries[value] = entries.GetValueOrDefault(value, None).Add(id);
}
