using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server;
using Tether.Server.Extensibility;

namespace Tether.Replicache.Internal;

/// <summary>
/// <c>POST /replicache/push</c> (protocol v1): each client's mutations run through the same mutation pipeline and
/// mutators as Tether's own pushes, under Tether's per-client lastMutationID (<c>id &lt;= lmid</c> skipped, a gap is an
/// error, a refused mutation still consumes its id). Answers 200 with an empty object; a retryable failure is not 200.
/// </summary>
internal sealed class ReplicachePush(ITetherRequestGuard guard, ITetherWriter pipeline, IOptions<TetherServerOptions> options, IOptions<ReplicacheOptions> replicache)
{
    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http).ConfigureAwait(false);
        if (userId is null)
        {
            return;
        }
        TetherLimits limits = options.Value.Limits;
        byte[]? body = await BodyReader.ReadAsync(http, limits.MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.PayloadTooLarge, $"The request is larger than {limits.MaxBodyBytes} bytes.")).ConfigureAwait(false);
            return;
        }
        if (!ReplicacheJson.TryParseObject(body, limits.MaxJsonDepth, out JsonObject? request, out string? parseError))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, parseError!)).ConfigureAwait(false);
            return;
        }
        if (ReplicacheJson.VersionProblem(request!, "pushVersion", "push", options.Value.SupportedSchema) is { } unsupported)
        {
            await ReplicacheJson.WriteAsync(http, unsupported).ConfigureAwait(false);
            return;
        }
        if (!TryReadMutations(request!, replicache.Value, out string? clientGroupId, out List<(string ClientId, Mutation Mutation)>? mutations, out string? invalid))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, invalid!)).ConfigureAwait(false);
            return;
        }

        string[] clientIds = [.. mutations!.Select(m => m.ClientId).Distinct(StringComparer.Ordinal)];
        string writer = ReplicacheRecords.SyncGroup(clientGroupId!);
        // One unit of work: the claim, every client's mutations and their lastMutationIDs commit together or not at
        // all, so a push that fails half-way leaves nothing for the client's retry to trip over.
        WriteOutcome<bool> outcome = await pipeline.WriteAsync(new WriteOptions { UserId = userId, Cost = Math.Max(1, mutations!.Count) }, async (scope, cancellationToken) =>
        {
            await scope.MutateAsync(writer, (context, token) => ReplicacheWrites.ClaimAsync(context, clientGroupId!, clientIds, token), cancellationToken).ConfigureAwait(false);
            foreach (string clientId in clientIds)
            {
                Mutation[] ofClient = [.. mutations.Where(m => m.ClientId == clientId).Select(m => m.Mutation)];
                PushResult pushed = await scope.PushAsync(new PushRequest(ReplicacheRecords.TetherClientId(clientId), ofClient), cancellationToken).ConfigureAwait(false);
                // The client's record carries its lastMutationID, so the head moves even when every mutation was refused.
                await scope.MutateAsync(writer, (context, token) => ReplicacheWrites.TouchAsync(context, clientId, pushed.LastMutationId, token), cancellationToken).ConfigureAwait(false);
            }
            return true;
        }, http.RequestAborted).ConfigureAwait(false);
        if (outcome.Status == WriteStatus.Applied)
        {
            await ReplicacheJson.WriteAsync(http, new JsonObject()).ConfigureAwait(false);
        }
        else if (outcome.Error is { Code: ErrorCodes.MutationGap, Expected: 1 })
        {
            // The client has mutations this server never saw the start of: its state here is lost (a restored
            // database, say). Replicache then disables the group and starts a new one.
            await ReplicacheJson.WriteAsync(http, new JsonObject { ["error"] = "ClientStateNotFound" }).ConfigureAwait(false);
        }
        else
        {
            await ErrorResults.WriteAsync(http, outcome.Error!, outcome.RetryAfter).ConfigureAwait(false);
        }
    }

    private static bool TryReadMutations(JsonObject request, ReplicacheOptions limits, out string? clientGroupId, out List<(string, Mutation)>? mutations, out string? error)
    {
        mutations = null;
        error = null;
        clientGroupId = ReplicacheJson.String(request, "clientGroupID");
        if (!ReplicacheRecords.IsGroupId(clientGroupId, limits))
        {
            error = ReplicacheRecords.GroupIdRule(limits);
            return false;
        }
        if (request["mutations"] is not JsonArray array)
        {
            error = "mutations must be an array.";
            return false;
        }
        mutations = new List<(string, Mutation)>(array.Count);
        foreach (JsonNode? node in array)
        {
            if (node is not JsonObject mutation
                || ReplicacheJson.String(mutation, "clientID") is not { Length: > 0 } clientId || clientId.Length > limits.MaxClientIdLength
                || ReplicacheJson.String(mutation, "name") is not { Length: > 0 } name
                || mutation["id"] is not JsonValue idValue || !idValue.TryGetValue(out long id) || id < 1)
            {
                error = $"mutations[{mutations.Count}] needs clientID, name and an id >= 1.";
                return false;
            }
            JsonElement args = mutation["args"] is { } argsNode ? JsonSerializer.SerializeToElement(argsNode, ReplicacheJson.Context.JsonNode) : JsonDocument.Parse("null").RootElement.Clone();
            mutations.Add((clientId, new Mutation(id, name, args)));
        }
        return true;
    }
}
