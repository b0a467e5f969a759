using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Mutators;
using Tether.Protocol;
using Tether.Server;
using Tether.Server.Extensibility;
using Tether.Server.Storage;

namespace Tether.Replicache.Internal;

/// <summary>
/// <c>POST /replicache/pull</c> (protocol v1). The cookie is <c>{order, head}</c>: <c>head</c> is the syncId the
/// client's data reflects, <c>order</c> only ever grows (Replicache compares it). The patch is the records the user's
/// groups changed since <c>head</c>, collapsed to one put or del per key; a cookie the server cannot continue from
/// (none, unknown, compacted away, or the user's groups changed) gets <c>clear</c> and every record. Data and the
/// group's lastMutationIDs come from one snapshot.
/// </summary>
internal sealed class ReplicachePull(ITetherRequestGuard guard, ITetherStore store, ISyncGroupResolver groups, IOptions<TetherServerOptions> options, IOptions<ReplicacheOptions> replicache)
{
    private const int PageSize = 5_000;

    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http).ConfigureAwait(false);
        if (userId is null)
        {
            return;
        }
        TetherServerOptions settings = options.Value;
        int maxBodyBytes = replicache.Value.MaxPullBodyBytes;
        byte[]? body = await BodyReader.ReadAsync(http, maxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.PayloadTooLarge, $"A pull request is at most {maxBodyBytes} bytes.")).ConfigureAwait(false);
            return;
        }
        if (!ReplicacheJson.TryParseObject(body, settings.Limits.MaxJsonDepth, out JsonObject? request, out string? error))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, error!)).ConfigureAwait(false);
            return;
        }
        if (ReplicacheJson.VersionProblem(request!, "pullVersion", "pull", settings.SupportedSchema) is { } unsupported)
        {
            await ReplicacheJson.WriteAsync(http, unsupported).ConfigureAwait(false);
            return;
        }
        string? clientGroupId = ReplicacheJson.String(request!, "clientGroupID");
        if (!ReplicacheRecords.IsGroupId(clientGroupId, replicache.Value))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, ReplicacheRecords.GroupIdRule(replicache.Value))).ConfigureAwait(false);
            return;
        }
        (long? order, long? head) = ReadCookie(request!["cookie"]);

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(http.RequestAborted).ConfigureAwait(false);
        if (await ReplicacheRecords.OwnerProblemAsync(snapshot, clientGroupId, userId, http.RequestAborted).ConfigureAwait(false) is { } forbidden)
        {
            await ErrorResults.WriteAsync(http, forbidden).ConfigureAwait(false);
            return;
        }
        if (head == snapshot.Head)
        {
            // Nothing happened since: the same cookie, which the client takes as "no change".
            await ReplicacheJson.WriteAsync(http, Response(request!["cookie"]?.DeepClone(), new JsonObject(), [])).ConfigureAwait(false);
            return;
        }
        IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, snapshot, http.RequestAborted).ConfigureAwait(false);
        bool full = head is not { } from || from > snapshot.Head || from < snapshot.Horizon
            || (await snapshot.ReadGroupChangesAsync(from, snapshot.Head, http.RequestAborted).ConfigureAwait(false)).Any(change => change.UserId == userId);
        var patch = new JsonArray();
        if (full)
        {
            patch.Add(new JsonObject { ["op"] = "clear" });
            await using IStoredRecordCursor records = snapshot.ReadRecords([.. settings.Models], [.. userGroups]);
            while (await records.ReadAsync(http.RequestAborted).ConfigureAwait(false))
            {
                patch.Add(Put(records.ModelName, Encoding.UTF8.GetString(records.Id), JsonNode.Parse(records.Data)));
            }
        }
        else
        {
            foreach (LogEntry last in await ChangesSinceAsync(snapshot, head!.Value, userGroups, http.RequestAborted).ConfigureAwait(false))
            {
                patch.Add(last.Data is null
                    ? new JsonObject { ["op"] = "del", ["key"] = Key(last.ModelName, last.ModelId) }
                    : Put(last.ModelName, last.ModelId, JsonNode.Parse(last.Data)));
            }
        }
        // Every client of the group with its lastMutationID, read in the same snapshot as the data: a client never
        // sees a mutation's effects without learning that it was confirmed (values only grow, so repeats are harmless).
        var lastMutationIds = new JsonObject();
        foreach (Record client in await snapshot.ListRecordsAsync(ReplicacheRecords.ClientModel, ReplicacheRecords.SyncGroup(clientGroupId), http.RequestAborted).ConfigureAwait(false))
        {
            ClientState? state = await snapshot.GetClientAsync(ReplicacheRecords.TetherClientId(client.Id), http.RequestAborted).ConfigureAwait(false);
            lastMutationIds[client.Id] = state?.LastMutationId ?? 0;
        }
        long newOrder = Math.Max(snapshot.Head, (order ?? 0) + 1);
        var cookie = new JsonObject { ["order"] = newOrder, ["head"] = snapshot.Head };
        await ReplicacheJson.WriteAsync(http, Response(cookie, lastMutationIds, patch)).ConfigureAwait(false);
    }

    /// <summary>The last action of each record of the user's models the user can read, after <paramref name="from"/>.</summary>
    private async Task<IReadOnlyCollection<LogEntry>> ChangesSinceAsync(ITetherReadSnapshot snapshot, long from, IReadOnlySet<string> userGroups, CancellationToken cancellationToken)
    {
        var last = new Dictionary<(string, string), LogEntry>();
        long after = from;
        while (after < snapshot.Head)
        {
            IReadOnlyList<LogEntry> page = await snapshot.ReadVisibleLogAsync(after, snapshot.Head, [.. userGroups], PageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }
            foreach (LogEntry entry in page.Where(e => !ReplicacheRecords.IsInternal(e.ModelName) && options.Value.Models.Contains(e.ModelName)))
            {
                // Removed first so that the dictionary keeps the order of each key's last change.
                last.Remove((entry.ModelName, entry.ModelId));
                last[(entry.ModelName, entry.ModelId)] = entry;
            }
            after = page[^1].SyncId;
        }
        return last.Values;
    }

    private static JsonObject Put(string modelName, string id, JsonNode? data)
        => new() { ["op"] = "put", ["key"] = Key(modelName, id), ["value"] = data };

    /// <summary>Replicache keys: <c>&lt;modelName&gt;/&lt;modelId&gt;</c>.</summary>
    public static string Key(string modelName, string id) => modelName + "/" + id;

    private static JsonObject Response(JsonNode? cookie, JsonObject lastMutationIds, JsonArray patch)
        => new() { ["cookie"] = cookie, ["lastMutationIDChanges"] = lastMutationIds, ["patch"] = patch };

    /// <summary>The cookie this server gave (<c>{order, head}</c>), or a plain number taken as both; anything else is
    /// a cookie this server cannot continue from.</summary>
    private static (long? Order, long? Head) ReadCookie(JsonNode? cookie)
    {
        switch (cookie)
        {
            case JsonValue value when value.TryGetValue(out long number):
                return (number, number);
            case JsonObject fields when fields["order"] is JsonValue orderValue && orderValue.TryGetValue(out long order):
                return (order, fields["head"] is JsonValue headValue && headValue.TryGetValue(out long head) ? head : null);
            default:
                return (null, null);
        }
    }
}
