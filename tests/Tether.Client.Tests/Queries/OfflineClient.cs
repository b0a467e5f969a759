using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using System.Collections.Immutable;
using Tether.Client.Internal;
using Tether.Client.Internal.Data;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Client.Tests.Queries;

/// <summary>A client's state and applier without its loops or a network: the tests hand it frames, push answers
/// and bootstraps directly, so every step is deterministic and its live queries are updated before the step
/// returns.</summary>
internal sealed class OfflineClient
{
    private long _syncId;

    private OfflineClient(ClientState state, Applier applier)
    {
        State = state;
        Applier = applier;
    }

    public ClientState State { get; }

    public Applier Applier { get; }

    public long SyncId => _syncId;

    /// <summary>A client with the put and delete mutators below, and <paramref name="mutators"/>.</summary>
    public static async Task<OfflineClient> StartAsync(IReadOnlyList<LocalIndex>? indexes = null, ILocalStore? store = null, IReadOnlyList<IMutator>? mutators = null)
    {
        var options = new TetherClientOptions
        {
            ServerUrl = new Uri("http://127.0.0.1:9/sync/"),
            UserId = "u",
            TokenProvider = _ => ValueTask.FromResult("unused"),
            Mutators = [new PutIssueMutator(), new DeleteIssueMutator(), .. mutators ?? []],
            Indexes = indexes ?? [],
            Store = store ?? new InMemoryLocalStore(),
        };
        var events = new ClientEvents(new object(), NullLogger.Instance);
        var state = new ClientState(options, events);
        var applier = new Applier(state, events, options, CancellationToken.None);
        await applier.LoadAsync(CancellationToken.None);
        return new OfflineClient(state, applier);
    }

    public ILiveQuery<Issue> Issues() => new Internal.Queries.LiveQuery<Issue>(State.Queries, "issue", TestJson.Default.Issue);

    /// <summary>A query on the current data with its indexes taken away: evaluated from scratch by reading every
    /// record, it is the reference the incremental results and the indexes are checked against.</summary>
    public ILiveQuery<Issue> IssuesWithoutIndexes()
    {
        ClientData data = State.Published;
        var stripped = new ClientData(data.LastSyncId, data.Models.ToImmutableDictionary(
            m => m.Key,
            m => new ModelData(m.Value.Confirmed, m.Value.Overlay, ModelData.Empty.Indexes),
            StringComparer.Ordinal));
        var hub = new Internal.Queries.QueryHub(_ => { });
        hub.Published(stripped, new Dictionary<string, ModelChange>());
        return new Internal.Queries.LiveQuery<Issue>(hub, "issue", TestJson.Default.Issue);
    }

    public static JsonObject IssueJson(string id, string projectId, string title, string status)
        => new() { ["id"] = id, ["projectId"] = projectId, ["teamId"] = "t", ["title"] = title, ["status"] = status };

    /// <summary>Applies one frame of server actions (null data: a delete) at the next syncIds.</summary>
    public Task FrameAsync(params (string Id, JsonObject? Data)[] changes)
    {
        var actions = new List<SyncAction>();
        foreach ((string id, JsonObject? data) in changes)
        {
            actions.Add(new SyncAction(++_syncId, data is null ? SyncActionKinds.Delete : SyncActionKinds.Update, "issue", id,
                data is null ? null : JsonSerializer.SerializeToElement(data)));
        }
        if (actions.Count == 0)
        {
            _syncId++;
        }
        return Applier.ApplyFrameAsync(_syncId, actions, CancellationToken.None);
    }

    public Task<MutationHandle> PutAsync(string id, string projectId, string title, string status)
        => Applier.RunLocallyAsync("putIssue", JsonSerializer.SerializeToElement(IssueJson(id, projectId, title, status)), CancellationToken.None);

    public Task<MutationHandle> DeleteAsync(string id)
        => Applier.RunLocallyAsync("deleteIssue", JsonSerializer.SerializeToElement(new JsonObject { ["id"] = id }), CancellationToken.None);

    /// <summary>Runs any of the client's mutators on its optimistic view.</summary>
    public Task<MutationHandle> RunAsync(string name, object args)
        => Applier.RunLocallyAsync(name, JsonSerializer.SerializeToElement(args), CancellationToken.None);

    /// <summary>The issue as the client shows it (its optimistic view), as JSON text; null when it shows none.</summary>
    public string? ShownJson(string id)
        => State.Published.Model("issue").Shown(id) is { } json ? Encoding.UTF8.GetString(json) : null;

    /// <summary>The server refuses a pending mutation.</summary>
    public Task RefuseAsync(long mutationId)
        => Applier.RecordAnswersAsync(new PushResult([MutationResult.Rejected(mutationId, new ErrorBody(ErrorCodes.Forbidden, "No."))], mutationId), CancellationToken.None);

    /// <summary>The server applied a pending mutation at the next syncId; its data arrives with a later frame.</summary>
    public Task AcceptAsync(long mutationId)
        => Applier.RecordAnswersAsync(new PushResult([MutationResult.Applied(mutationId, _syncId + 1)], mutationId), CancellationToken.None);

    /// <summary>An eager (all data replaced) or lazy (records added) bootstrap of <paramref name="rows"/>, streamed
    /// from an NDJSON body as the server writes it.</summary>
    public async Task BootstrapAsync(bool eager, IReadOnlyList<JsonObject> rows, int rowsPerLine = 3)
    {
        var body = new StringBuilder();
        body.Append(JsonSerializer.Serialize(new JsonObject { ["type"] = "start", ["firstSyncId"] = _syncId, ["syncGroups"] = new JsonArray("g") })).Append('\n');
        for (int i = 0; i < rows.Count; i += rowsPerLine)
        {
            var line = new JsonObject { ["type"] = "rows", ["modelName"] = "issue", ["rows"] = new JsonArray([.. rows.Skip(i).Take(rowsPerLine).Select(r => r.DeepClone())]) };
            body.Append(line.ToJsonString()).Append('\n');
        }
        body.Append(JsonSerializer.Serialize(new JsonObject { ["type"] = "end", ["rowCount"] = rows.Count })).Append('\n');
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson") };
        await using BootstrapStream stream = await BootstrapStream.OpenAsync(response, CancellationToken.None);
        await Applier.ApplyBootstrapAsync(stream, eager, new Progress<long>(), CancellationToken.None);
    }

    /// <summary>Writes the whole issue given as its arguments, creating it when missing.</summary>
    private sealed class PutIssueMutator : IMutator
    {
        public string Name => "putIssue";

        public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
        {
            var issue = JsonNode.Parse(args.GetRawText())!.AsObject();
            string id = issue["id"]!.GetValue<string>();
            if (await context.GetAsync("issue", id, cancellationToken) is null)
            {
                await context.InsertAsync("issue", id, issue, ["g"], cancellationToken);
            }
            else
            {
                await context.UpdateAsync("issue", id, issue, cancellationToken: cancellationToken);
            }
        }
    }

    private sealed class DeleteIssueMutator : IMutator
    {
        public string Name => "deleteIssue";

        public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
            => context.DeleteAsync("issue", args.GetProperty("id").GetString()!, cancellationToken);
    }
}
