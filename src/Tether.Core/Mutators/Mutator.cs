using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Protocol;

namespace Tether.Mutators;

/// <summary>A mutator with typed arguments: they are read with source-generated metadata and refused as
/// <c>invalid_args</c> when they do not fit.</summary>
public abstract class Mutator<TArgs> : IMutator where TArgs : class
{
    private readonly JsonTypeInfo<TArgs> _argsType;

    /// <summary>A mutator named <paramref name="name"/> whose arguments read with <paramref name="argsType"/> (from
    /// the app's <c>JsonSerializerContext</c>).</summary>
    protected Mutator(string name, JsonTypeInfo<TArgs> argsType)
    {
        Name = name;
        _argsType = argsType;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Reads <paramref name="args"/> as <typeparamref name="TArgs"/> and runs the typed overload; arguments
    /// that are missing or do not fit are refused as <c>invalid_args</c>, naming only their JSON path.</summary>
    public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        TArgs? typed;
        try
        {
            typed = args.Deserialize(_argsType);
        }
        catch (JsonException e)
        {
            // The exception's own text names .NET types; the client gets the JSON path only.
            string where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            throw new MutationRejectedException(ErrorCodes.InvalidArgs, $"Arguments of '{Name}' do not fit{where}.");
        }
        if (typed is null)
        {
            throw new MutationRejectedException(ErrorCodes.InvalidArgs, $"Arguments of '{Name}' are missing.");
        }
        return ExecuteAsync(context, typed, cancellationToken);
    }

    /// <summary>Runs the mutation with its typed arguments.</summary>
    protected abstract ValueTask ExecuteAsync(IMutationContext context, TArgs args, CancellationToken cancellationToken);
}
