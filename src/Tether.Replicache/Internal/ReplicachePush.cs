using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Pipeline;

namespace Tether.Replicache.Internal;

/// <summary>
/// <c>POST /replicache/push</c> (protocol v1): each client's mutations run through the same mutation pipeline and
/// mutators as Tether's own pushes, under Tether's per-client lastMutationID (<c>id &lt;= lmid</c> skipped, a gap is an
/// error, a refused mutation still consumes its id). Answers 200 with an empty object; a retryable failure is not 200.
/// </summary>
internal sealed class ReplicachePush(RequestGuard guard, MutationPipeline pipeline, IOptions<TetherServerOptions> options)
{
    private static readonly JsonElement NoArgs = JsonDocument.Parse("{}").RootElement.Clone();

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
        if (!TryReadMutations(request!, out string? clientGroupId, out List<(string ClientId, Mutation Mutation)>? mutations, out string? invalid))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, invalid!)).ConfigureAwait(false);
            return;
        }

        string[] clientIds = [.. mutations!.Select(m => m.ClientId).Distinct(StringComparer.Ordinal)];
        var claim = new ClaimMutator(clientGroupId!, clientIds);
        MutationResult? claimed = await pipeline.RunDirectAsync(userId, "replicache:" + clientGroupId, claim, NoArgs, callerGone: http.RequestAborted).ConfigureAwait(false);
        if (claimed is null)
        {
            await WriteUnavailableAsync(http).ConfigureAwait(false);
            return;
        }
        if (claimed.Status != MutationStatus.Applied)
        {
            await ErrorResults.WriteAsync(http, claimed.Error!).ConfigureAwait(false);
            return;
        }
        foreach (string clientId in clientIds)
        {
            Mutation[] ofClient = [.. mutations!.Where(m => m.ClientId == clientId).Select(m => m.Mutation)];
            foreach (Mutation[] chunk in ofClient.Chunk(Math.Max(1, limits.MaxBatchSize)))
            {
                PushOutcome outcome = await pipeline.PushAsync(userId, new PushRequest(ReplicacheRecords.TetherClientId(clientId), chunk), http.RequestAborted).ConfigureAwait(false);
                if (outcome.Error is { } error)
                {
                    if (error.Code == ErrorCodes.MutationGap && error.Expected == 1)
                    {
                        // The client has mutations this server never saw the start of: its state here is lost (a
                        // restored database, say). Replicache then disables the group and starts a new one.
                        await ReplicacheJson.WriteAsync(http, new JsonObject { ["error"] = "ClientStateNotFound" }).ConfigureAwait(false);
                    }
                    else if (error.Code == ErrorCodes.Unavailable)
                    {
                        await WriteUnavailableAsync(http).ConfigureAwait(false);
                    }
                    else
                    {
                        await ErrorResults.WriteAsync(http, error, error.Code == ErrorCodes.RateLimited ? TimeSpan.FromSeconds(1) : null).ConfigureAwait(false);
                    }
                    return;
                }
                // The client's record carries its lastMutationID, so the head moves even when every mutation was refused.
                var touch = new TouchClientMutator(clientId, outcome.Result!.LastMutationId);
                if (await pipeline.RunDirectAsync(userId, "replicache:" + clientGroupId, touch, NoArgs, callerGone: http.RequestAborted).ConfigureAwait(false) is null)
                {
                    await WriteUnavailableAsync(http).ConfigureAwait(false);
                    return;
                }
            }
        }
        await ReplicacheJson.WriteAsync(http, new JsonObject()).ConfigureAwait(false);
    }

    private static Task WriteUnavailableAsync(HttpContext http)
        => ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; retry later."), TimeSpan.FromSeconds(1));

    private static bool TryReadMutations(JsonObject request, out string? clientGroupId, out List<(string, Mutation)>? mutations, out string? error)
    {
        mutations = null;
        error = null;
        clientGroupId = ReplicacheJson.String(request, "clientGroupID");
        if (string.IsNullOrEmpty(clientGroupId) || clientGroupId.Length > 256)
        {
            error = "clientGroupID must be a string of 1 to 256 characters.";
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
                || ReplicacheJson.String(mutation, "clientID") is not { Length: > 0 and <= 200 } clientId
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
