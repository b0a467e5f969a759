using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Client.Internal;

/// <summary>
/// What the app sees: the confirmed data (the server's, as of lastSyncId) with the pending mutations replayed on top
/// in order. After every change of the confirmed data the overlay is rebuilt by running the pending mutators again
/// (rebase), so a local edit keeps winning until the server has confirmed it, and fields it did not touch show the
/// server's values. Not thread-safe: the client serialises every call.
/// </summary>
internal sealed class OptimisticView(MutatorRegistry mutators, string userId)
{
    // Confirmed records stay JSON text: most are only ever shown, never read by a mutator, and text is a fraction of
    // the memory of a parsed JsonObject.
    private readonly Dictionary<string, Dictionary<string, string>> _confirmed = new(StringComparer.Ordinal);
    private Dictionary<(string Model, string Id), JsonObject?> _overlay = [];

    public IReadOnlySet<string> UserSyncGroups { get; set; } = new HashSet<string>();

    /// <summary>The shown record, or null. The caller must not modify it.</summary>
    public JsonObject? Get(string modelName, string id)
    {
        if (_overlay.TryGetValue((modelName, id), out JsonObject? shown))
        {
            return shown;
        }
        return ConfirmedText(modelName, id) is { } text ? JsonNode.Parse(text)!.AsObject() : null;
    }

    /// <summary>The shown record as JSON text, or null.</summary>
    public string? GetText(string modelName, string id)
    {
        if (_overlay.TryGetValue((modelName, id), out JsonObject? shown))
        {
            return shown?.ToJsonString();
        }
        return ConfirmedText(modelName, id);
    }

    private string? ConfirmedText(string modelName, string id)
        => _confirmed.TryGetValue(modelName, out var records) && records.TryGetValue(id, out string? text) ? text : null;

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

    /// <summary>Every confirmed record as JSON text.</summary>
    public IEnumerable<(string Model, string Id, string Data)> AllConfirmed()
        => _confirmed.SelectMany(m => m.Value.Select(r => (m.Key, r.Key, r.Value)));

    /// <summary>Changes the confirmed data, adding the keys it changed to <paramref name="touched"/>.</summary>
    public void ApplyConfirmed(IEnumerable<LocalRecordChange> changes, bool clearFirst, ISet<(string Model, string Id)> touched)
    {
        if (clearFirst)
        {
            foreach ((string model, string id, _) in AllConfirmed())
            {
                touched.Add((model, id));
            }
            _confirmed.Clear();
        }
        foreach (LocalRecordChange change in changes)
        {
            touched.Add((change.ModelName, change.Id));
            if (change.Data is null)
            {
                if (_confirmed.TryGetValue(change.ModelName, out var records))
                {
                    records.Remove(change.Id);
                }
                continue;
            }
            if (!_confirmed.TryGetValue(change.ModelName, out var model))
            {
                _confirmed[change.ModelName] = model = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            model[change.Id] = change.Data;
        }
    }

    /// <summary>Runs one mutation on top of the current view. Returns the error (and changes nothing) when the
    /// mutator refused it or failed; null when it applied.</summary>
    public async ValueTask<Exception?> TryRunAsync(string name, JsonElement args, DateTimeOffset now, ISet<(string Model, string Id)> touched)
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
            touched.Add((model, id));
        }
        return null;
    }

    /// <summary>Throws the overlay away and replays <paramref name="pending"/> on the confirmed data.</summary>
    public async ValueTask RebaseAsync(IEnumerable<PendingEntry> pending, ISet<(string Model, string Id)> touched)
    {
        touched.UnionWith(_overlay.Keys);
        _overlay = [];
        foreach (PendingEntry entry in pending)
        {
            // A pending mutation that no longer applies locally shows nothing; the server has the last word on it.
            await TryRunAsync(entry.Name, entry.Args, entry.Now, touched);
        }
    }
}
