using System.Collections.Immutable;

namespace Tether.Client.Internal;

/// <summary>
/// The shown data as an immutable value, replaced after every change: readers (Get, live queries) on any thread see
/// one consistent state without locks. Records are kept as JSON text: immutable, compact, cheap to compare, and
/// read straight into the app's types.
/// </summary>
internal sealed class PublishedData
{
    private static readonly ImmutableDictionary<string, string> NoRecords = ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);

    private ImmutableDictionary<string, ImmutableDictionary<string, string>> _models =
        ImmutableDictionary.Create<string, ImmutableDictionary<string, string>>(StringComparer.Ordinal);

    public ImmutableDictionary<string, string> Model(string modelName)
        => Volatile.Read(ref _models).TryGetValue(modelName, out var records) ? records : NoRecords;

    /// <summary>Takes the view's current value for every touched key; returns the models that changed.</summary>
    public HashSet<string> Update(OptimisticView view, IEnumerable<(string Model, string Id)> touched)
    {
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var builders = new Dictionary<string, ImmutableDictionary<string, string>.Builder>(StringComparer.Ordinal);
        ImmutableDictionary<string, ImmutableDictionary<string, string>> models = _models;
        foreach ((string model, string id) in touched)
        {
            if (!builders.TryGetValue(model, out var builder))
            {
                builder = (models.TryGetValue(model, out var existing) ? existing : NoRecords).ToBuilder();
                builders[model] = builder;
            }
            string? now = view.GetText(model, id);
            bool had = builder.TryGetValue(id, out string? before);
            if (now is null)
            {
                if (had)
                {
                    builder.Remove(id);
                    changed.Add(model);
                }
            }
            else if (!had || before != now)
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
