using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Protocol;
using Tether.Server.Extensibility;
using Tether.Server.Storage;

namespace Tether.Replicache.Internal;

/// <summary>
/// What the Replicache front end keeps in Tether's storage: which user owns a client group, and which group a client
/// belongs to with its last mutation id. Both live in the group's own sync group, which no resolver grants, and every
/// push updates the client's record, so the log's head moves whenever a lastMutationID does (a refused mutation
/// writes nothing else) and a pull's cookie changes with it.
/// </summary>
internal static class ReplicacheRecords
{
    public const string GroupModel = "replicache_group";
    public const string ClientModel = "replicache_client";

    public static string SyncGroup(string clientGroupId) => "replicache:" + clientGroupId;

    /// <summary>Tether's own client id for a Replicache client (its lastMutationID is Tether's).</summary>
    public static string TetherClientId(string clientId) => "rep:" + clientId;

    public static bool IsInternal(string modelName) => modelName is GroupModel or ClientModel;

    /// <summary>True when <paramref name="clientGroupId"/> is present, not too long and well-formed text.</summary>
    public static bool IsGroupId([NotNullWhen(true)] string? clientGroupId, ReplicacheOptions options)
        => !string.IsNullOrEmpty(clientGroupId) && clientGroupId.Length <= options.MaxClientGroupIdLength && WellFormed.IsText(clientGroupId);

    /// <summary>The refusal of a <c>clientGroupID</c> that <see cref="IsGroupId"/> refuses.</summary>
    public static string GroupIdRule(ReplicacheOptions options)
        => $"clientGroupID must be 1 to {options.MaxClientGroupIdLength} characters of well-formed text.";

    /// <summary>The refusal when the client group belongs to another user than <paramref name="userId"/>; null when it
    /// is the user's or nobody's yet.</summary>
    public static async ValueTask<ErrorBody?> OwnerProblemAsync(IRecordReader records, string clientGroupId, string userId, CancellationToken cancellationToken)
    {
        Record? owner = await records.GetRecordAsync(GroupModel, clientGroupId, cancellationToken).ConfigureAwait(false);
        return owner is not null && owner.Data["userId"]?.GetValue<string>() != userId
            ? new ErrorBody(ErrorCodes.Forbidden, $"Client group '{clientGroupId}' belongs to another user.")
            : null;
    }
}

/// <summary>The Replicache front end's own writes, run inside its unit of work.</summary>
internal static class ReplicacheWrites
{
    /// <summary>Claims a client group for the user (or checks it is theirs) and binds each client to it; a client
    /// group or client of someone else is refused as <c>forbidden</c>.</summary>
    public static async ValueTask<bool> ClaimAsync(IMutationContext context, string clientGroupId, IReadOnlyCollection<string> clientIds, CancellationToken cancellationToken)
    {
        string group = ReplicacheRecords.SyncGroup(clientGroupId);
        Record? owner = await context.GetAsync(ReplicacheRecords.GroupModel, clientGroupId, cancellationToken).ConfigureAwait(false);
        if (owner is null)
        {
            await context.InsertAsync(ReplicacheRecords.GroupModel, clientGroupId, new JsonObject { ["userId"] = context.UserId }, [group], cancellationToken).ConfigureAwait(false);
        }
        else if (owner.Data["userId"]?.GetValue<string>() != context.UserId)
        {
            throw MutationRejectedException.Forbidden($"Client group '{clientGroupId}' belongs to another user.");
        }
        foreach (string clientId in clientIds)
        {
            Record? client = await context.GetAsync(ReplicacheRecords.ClientModel, clientId, cancellationToken).ConfigureAwait(false);
            if (client is null)
            {
                await context.InsertAsync(ReplicacheRecords.ClientModel, clientId, new JsonObject { ["clientGroupID"] = clientGroupId, ["lastMutationID"] = 0 }, [group], cancellationToken).ConfigureAwait(false);
            }
            else if (client.Data["clientGroupID"]?.GetValue<string>() != clientGroupId)
            {
                throw MutationRejectedException.Forbidden($"Client '{clientId}' belongs to another client group.");
            }
        }
        return true;
    }

    /// <summary>Records a client's new lastMutationID after its mutations ran, which also moves the log's head.</summary>
    public static async ValueTask<bool> TouchAsync(IMutationContext context, string clientId, long lastMutationId, CancellationToken cancellationToken)
    {
        Record? client = await context.GetAsync(ReplicacheRecords.ClientModel, clientId, cancellationToken).ConfigureAwait(false);
        if (client is null || client.Data["lastMutationID"]?.GetValue<long>() == lastMutationId)
        {
            return false;
        }
        await context.UpdateAsync(ReplicacheRecords.ClientModel, clientId, new JsonObject { ["lastMutationID"] = lastMutationId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }
}
