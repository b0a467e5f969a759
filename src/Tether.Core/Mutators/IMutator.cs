using System.Text.Json;

namespace Tether.Mutators;

/// <summary>
/// A named change to data. The same mutator runs on the client (optimistically, on the local view) and on the server
/// (authoritatively, inside the server's transaction), so one definition serves both sides.
/// </summary>
public interface IMutator
{
    /// <summary>The name clients send in <c>mutation.name</c>.</summary>
    string Name { get; }

    /// <summary>Runs the mutation. Throw <see cref="MutationRejectedException"/> to refuse it.</summary>
    ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken);
}
