using System.Collections.Frozen;

namespace Tether.Mutators;

/// <summary>The mutators of an app by name; the server and the client are built from the same registry.</summary>
public sealed class MutatorRegistry
{
    private readonly FrozenDictionary<string, IMutator> _byName;

    /// <summary>A registry of <paramref name="mutators"/>; throws <see cref="ArgumentException"/> when two share a name.</summary>
    public MutatorRegistry(IEnumerable<IMutator> mutators)
    {
        var byName = new Dictionary<string, IMutator>(StringComparer.Ordinal);
        foreach (var mutator in mutators)
        {
            if (!byName.TryAdd(mutator.Name, mutator))
            {
                throw new ArgumentException($"Two mutators are named '{mutator.Name}'.", nameof(mutators));
            }
        }
        _byName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Finds the mutator named <paramref name="name"/> (ordinal, case-sensitive); false when there is none.</summary>
    public bool TryGet(string name, out IMutator mutator) => _byName.TryGetValue(name, out mutator!);
}
