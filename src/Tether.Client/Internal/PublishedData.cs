using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Client.Internal;

/// <summary>
/// The shown data as an immutable value, replaced after every change: readers (Get, live queries) on any thread see
/// one consistent state without locks. Records are kept as <see cref="JsonElement"/>s, which are read-only and safe
/// to read from many threads (a parsed JsonObject materialises lazily and is not).
/// </summary>
internal sealed class PublishedData
{
    private ImmutableDictionary<string, ImmutableDictionary<string, JsonElement>> _models =
        ImmutableDictionary.Create<string, ImmutableDictionary<string, JsonElement>>(StringComparer.Ordinal);

    public ImmutableDictionary<string, JsonElement> Model(string modelName)
        => Volatile.Read(ref _models).TryGetValue(modelName, out var records) ? records : ImmutableDictionary.Create<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>Takes the view's current value for every touched key; returns the models that changed.</summary>
    public HashSet<string> Update(OptimisticView view, IEnumerable<(string Model, string Id)> touched)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var builders = new Dictionary<string, ImmutableDictionary<string, JsonElement>.Builder>(StringComparer.Ordinal);
        ImmutableDictionary<string, ImmutableDictionary<string, JsonElement>> models = _models;
        foreach ((string model, string id) in touched)
        {
            if (!builders.TryGetValue(model, out var builder))
            {
                builder = (models.TryGetValue(model, out var existing) ? existing : ImmutableDictionary.Create<string, JsonElement>(StringComparer.Ordinal)).ToBuilder();
                builders[model] = builder;
            }
            JsonObject? shown = view.Get(model, id);
            bool had = builder.TryGetValue(id, out JsonElement before);
            if (shown is null)
            {
                if (had)
                {
                    builder.Remove(id);
                    changed.Add(model);
                }
                continue;
            }
            JsonElement now = JsonSerializer.SerializeToElement(shown, Protocol.TetherJsonContext.Default.JsonObject);
            if (!had || !JsonElement.DeepEquals(before, now))
            {
                builder[id] = now;
                changed.Add(model);
            }
        }
        foreach ((string model, var builder) in builders)
        {
            models = models.SetItem(model, builder.ToImmutable());
        }
        Volatile.Write(ref _models, models);
        return changed;
    }
}
