using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.LiveStore.Tests.Harness;
using Tether.Replicache.Tests;
using Tether.Robustness.Tests.Fuzz;
using Tether.Robustness.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests;

/// <summary>
/// A signed-in user who is in none of another user's teams goes through every read and write path of every front
/// end, aimed at the other user's data: bootstrap (eager and lazy), delta, poll, live, SSE, LiveStore (HTTP and
/// socket), Replicache (pull, push, poke), the admin endpoints, every test model mutator and <c>changes</c>. Nothing of
/// the owner's reaches them, nothing of the owner's changes, and the intruder gains no group.
/// </summary>
public sealed class IsolationSweepTests
{
    [Fact]
    public async Task A_non_member_sees_and_changes_nothing_of_another_users_data_on_any_path()
    {
        await using TestServer server = await TestServer.StartAsync(FuzzHost.Settings);
        var owner = new UserState(server, "owner");
        var intruder = new UserState(server, "intruder");
        await owner.SeedAsync();
        await intruder.SeedAsync();
        using var sweep = new IsolationSweep(owner, intruder, server.BaseAddress);

        await ReadThroughTetherAsync(server, owner, intruder, sweep);
        await ReadThroughLiveStoreAndReplicacheAsync(server, owner, intruder, sweep);
        await SquatReplicacheClientAsync(server, owner, intruder, sweep);
        // Taken here, since the live read and the squatting check have the owner write.
        string ownerBefore = await owner.SnapshotAsync();
        await WriteThroughEveryMutatorAsync(owner, intruder, sweep);
        await WriteThroughOtherFrontEndsAsync(server, owner, intruder, sweep);

        string ownerAfter = await owner.SnapshotAsync();
        if (ownerAfter != ownerBefore)
        {
            sweep.Finding($"the owner's data changed.\nBefore:\n{ownerBefore}\nAfter:\n{ownerAfter}");
        }
        (_, string groups) = await sweep.PostAsync("/sync/bootstrap", new JsonObject { ["type"] = "eager", ["models"] = new JsonArray("team") });
        string start = groups.Split('\n')[0];
        if (start.Contains(owner.TeamId, StringComparison.Ordinal) || start.Contains("user:" + owner.UserId, StringComparison.Ordinal))
        {
            sweep.Finding("the intruder gained one of the owner's groups: " + start);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{sweep.Reads} reads and {sweep.Writes} writes by a non-member; {sweep.Findings.Count} findings");
        Assert.True(sweep.Findings.Count == 0, string.Join('\n', sweep.Findings));
    }

    private static async Task ReadThroughTetherAsync(TestServer server, UserState owner, UserState intruder, IsolationSweep sweep)
    {
        string[] models = ["team", "member", "project", "issue", "comment"];
        (HttpStatusCode status, string body) = await sweep.PostAsync("/sync/bootstrap", new JsonObject { ["type"] = "eager", ["models"] = new JsonArray([.. models.Select(m => (JsonNode)m)]) });
        sweep.Read("eager bootstrap", status, body);
        if (!body.Contains(intruder.Marker, StringComparison.Ordinal))
        {
            sweep.Finding("the intruder's eager bootstrap did not even show the intruder's own data: " + body);
        }
        (status, body) = await sweep.PostAsync("/sync/bootstrap", new JsonObject
        {
            ["type"] = "eager",
            ["models"] = new JsonArray("livestore_store", "livestore_event", "replicache_group", "replicache_client"),
        });
        sweep.Read("eager bootstrap of the front ends' models", status, body);
        foreach (string group in new[] { "team:" + owner.TeamId, "user:" + owner.UserId, "livestore:s:" + owner.StoreId, "replicache:" + owner.ClientGroupId, "livestore:$stores" })
        {
            (status, body) = await sweep.PostAsync("/sync/bootstrap", new JsonObject { ["type"] = "lazy", ["models"] = new JsonArray([.. models.Select(m => (JsonNode)m)]), ["syncGroups"] = new JsonArray(group) });
            sweep.Read($"lazy bootstrap of {group}", status, body, mustBeRefused: true);
        }
        (status, body) = await sweep.GetAsync("/sync/delta?from=0");
        sweep.Read("delta from 0", status, body);
        (status, body) = await sweep.GetAsync("/sync/poll?from=0&timeoutMs=100");
        sweep.Read("poll from 0", status, body);
        long head = JsonDocument.Parse(await sweep.Http.GetStringAsync("/sync/health")).RootElement.GetProperty("head").GetInt64();
        (status, body) = await sweep.FirstEventsAsync("/sync/events?from=0", text => text.Contains($"id: {head}\n", StringComparison.Ordinal));
        sweep.Read("events from 0", status, body);
        (status, body) = await sweep.FirstEventsAsync($"/sync/events?clientId={owner.ClientId}", text => text.Contains("\n\n", StringComparison.Ordinal));
        sweep.Read("events with the owner's clientId", status, body, mustBeRefused: true);
        await ReadLiveAsync(server, owner, intruder, sweep);
    }

    /// <summary>The live socket, while the owner writes: the intruder's frames carry nothing of it (the intruder's own
    /// write after the owner's is the point up to which the frames are read).</summary>
    private static async Task ReadLiveAsync(TestServer server, UserState owner, UserState intruder, IsolationSweep sweep)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("tether.v1");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/sync/live?access_token={intruder.Token}"), TestContext.Current.CancellationToken);
        using (SyncApi ownerApi = server.Api(owner.UserId))
        {
            await ownerApi.ApplyAsync(owner.ClientId + "-live", 1, "createIssue", new { id = owner.UserId + "-live-issue", projectId = owner.ProjectId, title = owner.Marker + " live" });
        }
        using (SyncApi intruderApi = server.Api(intruder.UserId))
        {
            await intruderApi.ApplyAsync(intruder.ClientId + "-live", 1, "createIssue", new { id = "intruder-live-issue", projectId = intruder.ProjectId, title = "mine" });
        }
        var frames = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!frames.ToString().Contains("intruder-live-issue", StringComparison.Ordinal))
        {
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            frames.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        sweep.Read("live frames", HttpStatusCode.OK, frames.ToString());

        using var squatter = new ClientWebSocket();
        squatter.Options.AddSubProtocol("tether.v1");
        squatter.Options.CollectHttpResponseDetails = true;
        try
        {
            await squatter.ConnectAsync(new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/sync/live?access_token={intruder.Token}&clientId={owner.ClientId}"), TestContext.Current.CancellationToken);
            sweep.Finding("live with the owner's clientId was accepted");
        }
        catch (WebSocketException)
        {
            sweep.Read("live with the owner's clientId", squatter.HttpStatusCode, "", mustBeRefused: true);
        }
    }

    private static async Task ReadThroughLiveStoreAndReplicacheAsync(TestServer server, UserState owner, UserState intruder, IsolationSweep sweep)
    {
        JsonObject pull = WireClient.Request("1", "SyncHttpRpc.Pull", new JsonObject { ["storeId"] = owner.StoreId, ["live"] = false, ["cursor"] = new JsonObject { ["_tag"] = "None" } });
        (HttpStatusCode status, string body) = await LiveStoreHttp.PostAsync(sweep.Http, owner.StoreId, intruder.Token, pull);
        RefusedRpc(sweep, "LiveStore HTTP pull of the owner's store", status, body);
        // A store the intruder may use, with a pull that names the owner's store inside.
        (status, body) = await LiveStoreHttp.PostAsync(sweep.Http, "shared-store", intruder.Token, pull);
        RefusedRpc(sweep, "LiveStore HTTP pull naming the owner's store in a shared store's request", status, body);

        await using (var socket = new WebSocketFuzzTarget(
            new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/livestore?storeId={owner.StoreId}&payload={Uri.EscapeDataString(Templates.LiveStoreQueryPayload(intruder.Token))}&transport=ws"),
            null, id => WireClient.Request(id, "SyncWsRpc.Sentinel", new JsonObject()).ToJsonString(), TetherFuzzTests.AnswersRequest("requestId")))
        {
            JsonObject wsPull = WireClient.Request("w1", "SyncWsRpc.Pull", new JsonObject { ["storeId"] = owner.StoreId, ["live"] = true, ["cursor"] = new JsonObject { ["_tag"] = "None" } });
            (string outcome, string? problem) = await socket.SendAsync(new FuzzFrame("pull", Encoding.UTF8.GetBytes(wsPull.ToJsonString()), WebSocketMessageType.Text, 1));
            // The target checks every frame it reads for any user's marker, so a leak is a problem here.
            sweep.Read("LiveStore socket pull of the owner's store", HttpStatusCode.OK, "");
            if (outcome != "open" || problem is not null)
            {
                sweep.Finding($"the LiveStore socket pull of the owner's store ended with {outcome}: {problem}");
            }
        }

        (status, body) = await sweep.GetAsync("/livestore/admin/stores");
        sweep.Read("LiveStore admin list", status, body, mustBeRefused: true);

        using var replicache = new HttpClient { BaseAddress = server.BaseAddress };
        replicache.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", intruder.Token);
        JsonObject ownerPull = new() { ["profileID"] = "p", ["clientGroupID"] = owner.ClientGroupId, ["cookie"] = null, ["pullVersion"] = 1, ["schemaVersion"] = "" };
        (status, body) = await sweep.PostAsync("/replicache/pull", ownerPull);
        sweep.Read("Replicache pull of the owner's client group", status, body, mustBeRefused: true);
        JsonObject ownPull = new() { ["profileID"] = "p", ["clientGroupID"] = intruder.ClientGroupId, ["cookie"] = null, ["pullVersion"] = 1, ["schemaVersion"] = "" };
        (status, body) = await sweep.PostAsync("/replicache/pull", ownPull);
        sweep.Read("Replicache pull of the intruder's own client group", status, body);
        (status, body) = await sweep.FirstEventsAsync($"/replicache/poke?clientGroupID={owner.ClientGroupId}", text => text.Contains("\n\n", StringComparison.Ordinal));
        sweep.Read("Replicache poke of the owner's client group", status, body, mustBeRefused: true);
    }

    /// <summary>A LiveStore HTTP answer to a request the intruder may not make: an RPC failure, nothing of the owner's.</summary>
    private static void RefusedRpc(IsolationSweep sweep, string what, HttpStatusCode status, string body)
    {
        bool failure = body.Contains("\"Failure\"", StringComparison.Ordinal);
        sweep.Read(what, status, body, refusedInBody: failure);
        if (!failure && (int)status < 400)
        {
            sweep.Finding($"{what} was not refused: {body}");
        }
    }

    private static async Task WriteThroughEveryMutatorAsync(UserState owner, UserState intruder, IsolationSweep sweep)
    {
        string ownerComment = owner.UserId + "-comment";
        string ownerMember = owner.TeamId + ":" + owner.UserId;
        (string Name, object Args)[] attempts =
        [
            ("updateIssue", new { id = owner.IssueId, title = "taken" }),
            ("deleteIssue", new { id = owner.IssueId }),
            ("addComment", new { id = "intruder-comment-x", issueId = owner.IssueId, body = "hi" }),
            ("createIssue", new { id = "intruder-issue-x", projectId = owner.ProjectId, title = "mine now" }),
            ("createProject", new { id = "intruder-project-x", teamId = owner.TeamId, name = "mine now" }),
            ("addMember", new { teamId = owner.TeamId, userId = intruder.UserId }),
            ("removeMember", new { teamId = owner.TeamId, userId = owner.UserId }),
            ("createTeam", new { id = owner.TeamId, name = "mine now" }),
            ("changes", Changes(new { action = "create", modelName = "issue", modelId = "intruder-issue-y", data = new { id = "intruder-issue-y", teamId = owner.TeamId, projectId = owner.ProjectId, title = "t", status = "todo" } })),
            ("changes", Changes(new { action = "create", modelName = "issue", modelId = "intruder-issue-z", data = new { id = "intruder-issue-z", teamId = intruder.TeamId, projectId = owner.ProjectId, title = "t", status = "todo" } })),
            ("changes", Changes(new { action = "update", modelName = "issue", modelId = owner.IssueId, data = new { title = "taken" } })),
            ("changes", Changes(new { action = "update", modelName = "issue", modelId = owner.IssueId, data = new { teamId = intruder.TeamId } })),
            ("changes", Changes(new { action = "delete", modelName = "issue", modelId = owner.IssueId })),
            ("changes", Changes(new { action = "delete", modelName = "comment", modelId = ownerComment })),
            ("changes", Changes(new { action = "update", modelName = "team", modelId = owner.TeamId, data = new { name = "mine" } })),
            ("changes", Changes(new { action = "create", modelName = "member", modelId = owner.TeamId + ":" + intruder.UserId, data = new { teamId = owner.TeamId, userId = intruder.UserId } })),
            ("changes", Changes(new { action = "delete", modelName = "member", modelId = ownerMember })),
            ("changes", Changes(new { action = "update", modelName = "project", modelId = owner.ProjectId, data = new { name = "mine" } })),
        ];
        long id = 1;
        foreach ((string name, object args) in attempts)
        {
            JsonObject push = new() { ["clientId"] = "intruder-writes", ["mutations"] = new JsonArray(SyncApi.M(id++, name, args)) };
            (HttpStatusCode status, string body) = await sweep.PostAsync("/sync/push", push);
            sweep.Write($"{name} {JsonSerializer.Serialize(args)}", status, body, RejectedOrRefused(status, body));
        }
        foreach (string clientId in new[] { owner.ClientId, "rep:" + owner.ReplicacheClientId })
        {
            JsonObject push = new() { ["clientId"] = clientId, ["mutations"] = new JsonArray(SyncApi.M(100, "createIssue", new { id = "intruder-issue-w", projectId = intruder.ProjectId, title = "t" })) };
            (HttpStatusCode status, string body) = await sweep.PostAsync("/sync/push", push);
            sweep.Write($"a push with the owner's client id {clientId}", status, body, (int)status is >= 400 and < 500);
        }
    }

    /// <summary>A Replicache client id the owner has not used yet, taken first through Tether's own push, must not
    /// lock the owner out of it.</summary>
    private static async Task SquatReplicacheClientAsync(TestServer server, UserState owner, UserState intruder, IsolationSweep sweep)
    {
        string unused = owner.ReplicacheClientId + "-next";
        JsonObject squat = new() { ["clientId"] = "rep:" + unused, ["mutations"] = new JsonArray(SyncApi.M(1, "createIssue", new { id = "intruder-squat", projectId = intruder.ProjectId, title = "t" })) };
        (HttpStatusCode status, _) = await sweep.PostAsync("/sync/push", squat);
        using var replicache = new ReplicacheApi(server, owner.UserId);
        using HttpResponseMessage push = await replicache.PushRawAsync(owner.ClientGroupId, [ReplicacheApi.Mutation(unused, 1, "updateIssue", new { id = owner.IssueId, status = "doing" })]);
        string answer = await push.Content.ReadAsStringAsync();
        sweep.Held($"the owner's Replicache push with clientID {unused} after the intruder's Tether push with clientId rep:{unused} ({(int)status})",
            push.StatusCode == HttpStatusCode.OK && answer == "{}", $"{(int)push.StatusCode}: {answer}");
    }

    private static object Changes(object change) => new { changes = new[] { change } };

    private static bool RejectedOrRefused(HttpStatusCode status, string body)
        => (int)status is >= 400 and < 500 || status == HttpStatusCode.OK && body.Contains("\"rejected\"", StringComparison.Ordinal) && !body.Contains("\"applied\"", StringComparison.Ordinal);

    private static async Task WriteThroughOtherFrontEndsAsync(TestServer server, UserState owner, UserState intruder, IsolationSweep sweep)
    {
        JsonObject lsPush = WireClient.Request("1", "SyncHttpRpc.Push", new JsonObject
        {
            ["storeId"] = owner.StoreId,
            ["batch"] = Templates.LiveStoreEvents(4, 1, "intruder"),
            ["backendId"] = new JsonObject { ["_tag"] = "None" },
        });
        (HttpStatusCode status, string body) = await LiveStoreHttp.PostAsync(sweep.Http, owner.StoreId, intruder.Token, lsPush);
        sweep.Write("a LiveStore push to the owner's store", status, body, body.Contains("\"Failure\"", StringComparison.Ordinal) || (int)status >= 400);
        (status, body) = await sweep.PostAsync($"/livestore/admin/reset?storeId={owner.StoreId}", new JsonObject());
        sweep.Write("a LiveStore admin reset of the owner's store", status, body, (int)status is >= 400 and < 500);

        JsonObject Push(string groupId, string clientId, string name, object args) => new()
        {
            ["profileID"] = "p",
            ["clientGroupID"] = groupId,
            ["mutations"] = new JsonArray(ReplicacheApi.Mutation(clientId, 1, name, args)),
            ["pushVersion"] = 1,
            ["schemaVersion"] = "",
        };
        (status, body) = await sweep.PostAsync("/replicache/push", Push(owner.ClientGroupId, owner.ReplicacheClientId, "createIssue", new { id = "intruder-rep-x", projectId = intruder.ProjectId, title = "t" }));
        sweep.Write("a Replicache push into the owner's client group", status, body, (int)status is >= 400 and < 500);
        (status, body) = await sweep.PostAsync("/replicache/push", Push(intruder.ClientGroupId + "-2", owner.ReplicacheClientId, "createIssue", new { id = "intruder-rep-y", projectId = intruder.ProjectId, title = "t" }));
        sweep.Write("a Replicache push with the owner's client in the intruder's group", status, body, (int)status is >= 400 and < 500);
        // The mutators behind Replicache are the same; a refused mutation still answers 200 {} (it consumes its id).
        (status, body) = await sweep.PostAsync("/replicache/push", Push(intruder.ClientGroupId, intruder.ReplicacheClientId + "-2", "updateIssue", new { id = owner.IssueId, title = "taken" }));
        sweep.Write("a Replicache push of updateIssue on the owner's issue", status, body, status == HttpStatusCode.OK || (int)status is >= 400 and < 500);

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("tether.v1");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/sync/live?access_token={intruder.Token}"), TestContext.Current.CancellationToken);
        JsonObject frame = new() { ["type"] = "push", ["requestId"] = "x", ["clientId"] = "intruder-live-writes", ["mutations"] = new JsonArray(SyncApi.M(1, "deleteIssue", new { id = owner.IssueId })) };
        await socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        byte[] buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            string text = Encoding.UTF8.GetString(buffer, 0, received.Count);
            if (text.Contains("\"pushResult\"", StringComparison.Ordinal))
            {
                sweep.Write("a live push of deleteIssue on the owner's issue", HttpStatusCode.OK, text, text.Contains("\"rejected\"", StringComparison.Ordinal));
                break;
            }
        }
    }
}
