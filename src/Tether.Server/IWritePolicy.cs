using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Server;

/// <summary>
/// Decides what the built-in <c>changes</c> mutator may do (Loco-style create/update/delete of records). Each method
/// throws <see cref="MutationRejectedException"/> to refuse. Without a policy every change is refused.
/// </summary>
public interface IWritePolicy
{
    /// <summary>The field a create through <c>changes</c> gets the calling user's id in, whatever the client sent.</summary>
    const string CreatedBy = "createdBy";

    /// <summary>The field a create through <c>changes</c> gets the commit batch's clock in (ISO 8601, UTC), whatever
    /// the client sent.</summary>
    const string CreatedAt = "createdAt";

    /// <summary>The fields a record of <paramref name="modelName"/> may have when written through <c>changes</c>
    /// (<c>id</c>, <see cref="CreatedBy"/> and <see cref="CreatedAt"/> need not be named). A create or update with
    /// another field is refused with <c>invalid_args</c>, after the change was authorized.</summary>
    IReadOnlySet<string> FieldsOf(string modelName);

    /// <summary>Allows a new record and returns the sync groups it belongs to. <paramref name="data"/> already carries
    /// the server's <see cref="CreatedBy"/> and <see cref="CreatedAt"/>. The policy may add or overwrite fields (defaults):
    /// the record is inserted as the policy leaves it.</summary>
    ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken);

    /// <summary>Allows a patch of an existing record, or throws <see cref="MutationRejectedException"/> (typically
    /// <c>forbidden</c>). The patch is applied as the policy leaves it.</summary>
    ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken);

    /// <summary>Allows deleting an existing record, or throws <see cref="MutationRejectedException"/>.</summary>
    ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken);
}
