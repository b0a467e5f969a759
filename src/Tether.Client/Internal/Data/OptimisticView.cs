using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Client.Internal;

namespace Tether.Client.Internal.Data;

/// <summary>
/// The shown data: the confirmed data (the server's, as of lastSyncId) with the pending mutations replayed on top in
/// order. After every change of the confirmed data the overlay is rebuilt by running the pending mutators again
/// (rebase), so a local edit keeps winning until the server has confirmed it, and fields it did not touch show the
/// server's values. Every change only records which keys it touched; <see cref="Publish"/> turns them into the next
/// <see cref="ClientData"/> and the keys whose shown JSON really changed. Not thread-safe: the client's state lock
/// serialises every call.
/// </summary>
internal sealed class OptimisticView(MutatorRegistry mutators, string userId, IReadOnlyList<LocalIndex> indexes)
{
    // Confirmed records are UTF-8 JSON in persistent maps: publishing one is O(1) and later changes copy only the
    // paths they touch, so every published ClientData shares the records with this one instead of copying them.
    private Dictionary<string, ImmutableDictionary<string, byte[]>.Builder> _confirmed = new(StringComparer.Ordinal);
    // Parsed, because mutators read and patch them; only records that pending mutations wrote are here.
    private Dictionary<(string Model, string Id), JsonObject?> _overlay = [];
    private readonly Dictionary<string, HashSet<string>> _touched = new(StringComparer.Ordinal);
    private readonly HashSet<string> _replaced = new(StringComparer.Ordinal);
    private ClientData _published = ClientData.Empty;

    public IReadOnlySet<string> UserSyncGroups { get; set; } = new HashSet<string>();

    /// <summary>The shown record, or null. The caller must not modify it.</summary>
    public JsonObject? Get(string modelName, string id)
    {
        if (_overlay.TryGetValue((modelName, id), out JsonObject? shown))
        {
            return shown;
        }
        return _confirmed.TryGetValue(modelName, out var records) && records.TryGetValue(id, out byte[]? data)
            ? JsonNode.Parse(data)!.AsObject()
            : null;
    }

    /// <summary>The ids of every shown record of a model.</summary>
    public IEnumerable<string> Ids(string modelName)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (_confirmed.TryGetValue(modelName, out var records))
        {
            ids.UnionWith(records.Keys);
        }
        foreach (((string model, string id), JsonObject? data) in _overlay)
        {
            if (model != modelName)
            {
                continue;
            }
            if (data is null)
            {
                ids.Remove(id);
            }
            else
            {
                ids.Add(id);
            }
        }
        return ids;
    }

    /// <summary>Puts (or, with null, deletes) one confirmed record.</summary>
    public void SetConfirmed(string modelName, string id, byte[]? data)
    {
        Touch(modelName, id);
        if (data is null)
        {
            if (_confirmed.TryGetValue(modelName, out var records))
            {
                records.Remove(id);
            }
            return;
        }
        Confirmed(_confirmed, modelName)[id] = data;
    }

    /// <summary>Starts a new confirmed data set that becomes the view's only with <see cref="Commit"/>: a bootstrap
    /// fills it while it streams, and a bootstrap that fails leaves the view as it was.</summary>
    public ConfirmedStaging Stage(bool fromEmpty)
    {
        var models = new Dictionary<string, ImmutableDictionary<string, byte[]>.Builder>(StringComparer.Ordinal);
        if (!fromEmpty)
        {
            foreach ((string model, var records) in _confirmed)
            {
                models[model] = records.ToImmutable().ToBuilder();
            }
        }
        return new ConfirmedStaging(models, fromEmpty);
    }

    /// <summary>Makes a staged data set the confirmed data.</summary>
    public void Commit(ConfirmedStaging staging)
    {
        if (staging.FromEmpty)
        {
            _replaced.UnionWith(_confirmed.Keys);
            _replaced.UnionWith(staging.Models.Keys);
        }
        else
        {
            foreach ((string model, HashSet<string> ids) in staging.Touched)
            {
                foreach (string id in ids)
                {
                    Touch(model, id);
                }
            }
        }
        _confirmed = staging.Models;
    }

    /// <summary>Runs one mutation on top of the current view. Returns the error (and changes nothing) when the
    /// mutator refused it or failed; null when it applied.</summary>
    public async ValueTask<Exception?> TryRunAsync(string name, JsonElement args, DateTimeOffset now)
    {
        if (!mutators.TryGet(name, out IMutator mutator))
        {
            return new MutationRejectedException(Protocol.ErrorCodes.UnknownMutator, $"There is no mutator named '{name}'.");
        }
        var context = new ViewMutationContext(this, userId, UserSyncGroups, now);
        try
        {
            await mutator.ExecuteAsync(context, args, CancellationToken.None);
        }
        catch (Exception e)
        {
            return e;
        }
        foreach (((string model, string id), JsonObject? data) in context.Writes)
        {
            _overlay[(model, id)] = data;
            Touch(model, id);
        }
        return null;
    }

    /// <summary>Throws the overlay away and replays <paramref name="pending"/> on the confirmed data.</summary>
    public async ValueTask RebaseAsync(IEnumerable<PendingEntry> pending)
    {
        foreach ((string model, string id) in _overlay.Keys)
        {
            Touch(model, id);
        }
        _overlay = [];
        foreach (PendingEntry entry in pending)
        {
            // A pending mutation that no longer applies locally shows nothing; the server has the last word on it.
            await TryRunAsync(entry.Name, entry.Args, entry.Now);
        }
    }

    /// <summary>Publishes what changed since the last call as the next <see cref="ClientData"/>, and says which
    /// shown records really changed, per model.</summary>
    public (ClientData Data, IReadOnlyDictionary<string, ModelChange> Changes) Publish(long lastSyncId)
    {
        var changes = new Dictionary<string, ModelChange>(StringComparer.Ordinal);
        if (_touched.Count == 0 && _replaced.Count == 0 && lastSyncId == _published.LastSyncId)
        {
            return (_published, changes);
        }
        ImmutableDictionary<string, ModelData>.Builder models = _published.Models.ToBuilder();
        foreach (string model in _touched.Keys.Union(_replaced, StringComparer.Ordinal).ToArray())
        {
            ModelData before = _published.Model(model);
            bool replaced = _replaced.Contains(model);
            HashSet<string> touched = _touched.GetValueOrDefault(model) ?? [];
            ImmutableDictionary<string, byte[]?>.Builder overlay = before.Overlay.ToBuilder();
            foreach (string id in touched)
            {
                if (_overlay.TryGetValue((model, id), out JsonObject? local))
                {
                    overlay[id] = local is null ? null : Utf8(local);
                }
                else
                {
                    overlay.Remove(id);
                }
            }
            var after = new ModelData(
                _confirmed.TryGetValue(model, out var confirmed) ? confirmed.ToImmutable() : ModelData.Empty.Confirmed,
                overlay.ToImmutable(),
                before.Indexes);
            ModelChange change = replaced ? ModelChange.All : new ModelChange([.. touched.Where(id => !SameJson(before.Shown(id), after.Shown(id)))]);
            if (change.IsAll || change.Ids.Count > 0)
            {
                after = new ModelData(after.Confirmed, after.Overlay, Reindex(model, before, after, change));
                changes[model] = change;
            }
            models[model] = after;
        }
        _touched.Clear();
        _replaced.Clear();
        _published = new ClientData(lastSyncId, models.ToImmutable());
        return (_published, changes);
    }

    private ImmutableDictionary<string, FieldIndex> Reindex(string model, ModelData before, ModelData after, ModelChange change)
    {
        ImmutableDictionary<string, FieldIndex> result = before.Indexes;
        foreach (LocalIndex index in indexes)
        {
            if (index.ModelName != model)
            {
                continue;
            }
            ImmutableDictionary<string, ImmutableHashSet<string>>.Builder entries;
            if (change.IsAll)
            {
                entries = FieldIndex.Empty.Entries.ToBuilder();
                foreach ((string id, byte[] data) in after.ShownRecords())
                {
                    if (JsonField.StringValue(data, index.Field) is { } value)
                    {
                        FieldIndex.Add(entries, value, id);
                    }
                }
            }
            else
            {
                entries = before.Indexes.GetValueOrDefault(index.Field, FieldIndex.Empty).Entries.ToBuilder();
                foreach (string id in change.Ids)
                {
                    if (before.Shown(id) is { } old && JsonField.StringValue(old, index.Field) is { } oldValue)
                    {
                        FieldIndex.Remove(entries, oldValue, id);
                    }
                    if (after.Shown(id) is { } now && JsonField.StringValue(now, index.Field) is { } newValue)
                    {
                        FieldIndex.Add(entries, newValue, id);
                    }
                }
            }
            result = result.SetItem(index.Field, new FieldIndex(entries.ToImmutable()));
        }
        return result;
    }

    private void Touch(string modelName, string id)
    {
        if (!_touched.TryGetValue(modelName, out HashSet<string>? ids))
        {
            _touched[modelName] = ids = new HashSet<string>(StringComparer.Ordinal);
        }
        ids.Add(id);
    }

    private static ImmutableDictionary<string, byte[]>.Builder Confirmed(Dictionary<string, ImmutableDictionary<string, byte[]>.Builder> models, string modelName)
    {
        if (!models.TryGetValue(modelName, out var records))
        {
            models[modelName] = records = ModelData.Empty.Confirmed.ToBuilder();
        }
        return records;
    }

    private static bool SameJson(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static byte[] Utf8(JsonObject record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            record.WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A confirmed data set being filled by a bootstrap.</summary>
    internal sealed class ConfirmedStaging(Dictionary<string, ImmutableDictionary<string, byte[]>.Builder> models, bool fromEmpty)
    {
        public Dictionary<string, ImmutableDictionary<string, byte[]>.Builder> Models => models;

        public bool FromEmpty => fromEmpty;

        public Dictionary<string, HashSet<string>> Touched { get; } = new(StringComparer.Ordinal);

        public void Put(string modelName, string id, byte[] data)
        {
            Confirmed(models, modelName)[id] = data;
            if (!fromEmpty)
            {
                if (!Touched.TryGetValue(modelName, out HashSet<string>? ids))
                {
                    Touched[modelName] = ids = new HashSet<string>(StringComparer.Ordinal);
                }
                ids.Add(id);
            }
        }
    }
}

/// <summary>Which shown records of a model changed in one publish: all of them (the model was replaced) or these
/// ids.</summary>
internal sealed class ModelChange(IReadOnlyList<string> ids, bool all = false)
{
    public static readonly ModelChange All = new([], all: true);

    public bool IsAll => all;

    public IReadOnlyList<string> Ids => ids;
}
