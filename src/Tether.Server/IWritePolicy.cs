using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Server;

/// <summary>
/// Decides what the built-in <c>changes</c> mutator may do (Loco-style create/update/delete of records). Each method
/// throws <see cref="MutationRejectedException"/> to refuse. Without a policy every change is refused.
/// </summary>
public interface IWritePolicy
{
    /// <summary>Allows a new record and returns the sync groups it belongs to. The policy may add or overwrite fields
    /// of <paramref name="data"/> (defaults, <c>createdBy</c>): the record is inserted as the policy leaves it.</summary>
    ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken);

    ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken);

    ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken);
}
