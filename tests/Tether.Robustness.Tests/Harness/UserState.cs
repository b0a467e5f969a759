using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tether.Replicache.Tests;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Harness;

/// <summary>
/// A user with data on every front end: a team with a project, an issue and a comment (through the mutators), a
/// private LiveStore store and a Replicache client group with an issue of its own. Every text of it carries
/// <see cref="Marker"/>, which no answer to anybody else may contain. <see cref="SnapshotAsync"/> reads all of it back
/// through the user's own read paths, to be compared before and after others did their worst.
/// </summary>
internal sealed class UserState(TestServer server, string userId)
{
    /// <summary>Begins every user's <see cref="Marker"/>; no request sends it, so an answer to anybody else with it
    /// is a leak.</summary>
    public const string Secret = "TOPSECRET";

    private long _nextMutationId = 1;

    public string UserId => userId;
    public string Marker => Secret + "-" + userId;
    public string Token => "dev:" + userId;
    public string TeamId => userId + "-team";
    public string ProjectId => userId + "-project";
    public string IssueId => userId + "-issue";
    public string ClientId => userId + "-client";
    public string StoreId => "user-" + userId;
    public string ClientGroupId => userId + "-group";
    public string ReplicacheClientId => userId + "-rep";

    public async Task SeedAsync()
    {
        using SyncApi api = server.Api(userId);
        await RunAsync(api, "createTeam", new { id = TeamId, name = Marker + " team" });
        await RunAsync(api, "createProject", new { id = ProjectId, teamId = TeamId, name = Marker + " project" });
        await RunAsync(api, "createIssue", new { id = IssueId, projectId = ProjectId, title = Marker + " issue", description = Marker });
        await RunAsync(api, "addComment", new { id = userId + "-comment", issueId = IssueId, body = Marker + " comment" });
        await LiveStoreHttp.PushAsync(api.Http, StoreId, Token, Fuzz.Templates.LiveStoreEvents(1, 3, Marker));
        using var replicache = new ReplicacheApi(server, userId);
        await replicache.PushAsync(ClientGroupId, ReplicacheApi.Mutation(ReplicacheClientId, 1, "createIssue", new { id = userId + "-rep-issue", projectId = ProjectId, title = Marker + " via Replicache" }));
    }

    private async Task RunAsync(SyncApi api, string name, object args) => await api.ApplyAsync(ClientId, _nextMutationId++, name, args);

    /// <summary>Everything the user reads: bootstrap records, the store's events, the client group's records and
    /// lastMutationIDs (positions that move with others' writes are left out).</summary>
    public async Task<string> SnapshotAsync()
    {
        using SyncApi api = server.Api(userId);
        var text = new StringBuilder();
        BootstrapResult bootstrap = await api.BootstrapAsync(new { type = "eager", models = new[] { "team", "member", "project", "issue", "comment" } });
        foreach (((string model, string id), System.Text.Json.JsonElement row) in bootstrap.Rows.OrderBy(r => r.Key.Model, StringComparer.Ordinal).ThenBy(r => r.Key.Id, StringComparer.Ordinal))
        {
            text.Append(model).Append('/').Append(id).Append(' ').AppendLine(row.GetRawText());
        }
        text.AppendLine(await LiveStoreHttp.PullAllAsync(api.Http, StoreId, Token));
        using var replicache = new ReplicacheApi(server, userId);
        JsonObject pull = await replicache.PullAsync(ClientGroupId, cookie: null);
        text.AppendLine(pull["lastMutationIDChanges"]!.ToJsonString());
        foreach (string op in pull.Patch().Select(op => op!.ToJsonString()).Order(StringComparer.Ordinal))
        {
            text.AppendLine(op);
        }
        return text.ToString();
    }

    /// <summary>One more mutation of the user's own; null when it was applied, else what happened.</summary>
    public async Task<string?> PushOneMoreAsync()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        long id = _nextMutationId++;
        var body = new JsonObject
        {
            ["clientId"] = ClientId,
            ["mutations"] = new JsonArray(SyncApi.M(id, "createIssue", new { id = $"{userId}-after-{id}", projectId = ProjectId, title = "after" })),
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync("/sync/push", content);
        string answer = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && answer.Contains("\"applied\"", StringComparison.Ordinal)
            ? null
            : $"{userId}'s push answered {(int)response.StatusCode}: {answer}";
    }
}
