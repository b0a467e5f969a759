using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;

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
}

/// <summary>Claims a client group for the user (or checks it is theirs) and binds a client to it.</summary>
internal sealed class ClaimMutator(string clientGroupId, IReadOnlyCollection<string> clientIds) : IMutator
{
    public string Name => "$replicache.claim";

    /// <summary>Why the claim was refused, when it was.</summary>
    public string? Refusal { get; private set; }

    public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        string group = ReplicacheRecords.SyncGroup(clientGroupId);
        Record? owner = await context.GetAsync(ReplicacheRecords.GroupModel, clientGroupId, cancellationToken).ConfigureAwait(false);
        if (owner is null)
        {
            await context.InsertAsync(ReplicacheRecords.GroupModel, clientGroupId, new JsonObject { ["userId"] = context.UserId }, [group], cancellationToken).ConfigureAwait(false);
        }
        else if (owner.Data["userId"]?.GetValue<string>() != context.UserId)
        {
            Refusal = $"Client group '{clientGroupId}' belongs to another user.";
            throw MutationRejectedException.Forbidden(Refusal);
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
                Refusal = $"Client '{clientId}' belongs to another client group.";
                throw MutationRejectedException.Forbidden(Refusal);
            }
        }
    }
}

/// <summary>Records a client's new lastMutationID after its mutations ran, which also moves the log's head.</summary>
internal sealed class TouchClientMutator(string clientId, long lastMutationId) : IMutator
{
    public string Name => "$replicache.touch";

    public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        Record? client = await context.GetAsync(ReplicacheRecords.ClientModel, clientId, cancellationToken).ConfigureAwait(false);
        if (client is not null && client.Data["lastMutationID"]?.GetValue<long>() != lastMutationId)
        {
            await context.UpdateAsync(ReplicacheRecords.ClientModel, clientId, new JsonObject { ["lastMutationID"] = lastMutationId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
