using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.LiveStore.Tests.Harness;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>Valid requests of every endpoint group, as the fuzz user (<see cref="FuzzUser"/>, who owns team
/// <c>ft</c> with project <c>fp</c> and issue <c>fi</c>) would send them; the fuzzers spoil them. Ids are fresh per
/// input, so that valid parts reach the mutators instead of stopping at a replay.</summary>
internal static class Templates
{
    public const string FuzzUser = "fuzzer";
    public const string Token = "dev:" + FuzzUser;

    private static readonly KeyValuePair<string, string>[] TetherHeaders =
    [
        KeyValuePair.Create("Authorization", "Bearer " + Token), KeyValuePair.Create("Tether-Protocol", "1"), KeyValuePair.Create("Tether-Schema", "1"),
    ];

    private static readonly KeyValuePair<string, string>[] BearerOnly = [KeyValuePair.Create("Authorization", "Bearer " + Token)];

    /// <summary>The headers of a WebSocket upgrade, so that an upgrade's refusals (token, query) are reached.</summary>
    private static KeyValuePair<string, string>[] Upgrade(Random random, string? subProtocol)
    {
        byte[] key = new byte[16];
        random.NextBytes(key);
        KeyValuePair<string, string>[] headers =
        [
            KeyValuePair.Create("Connection", "Upgrade"), KeyValuePair.Create("Upgrade", "websocket"),
            KeyValuePair.Create("Sec-WebSocket-Version", "13"), KeyValuePair.Create("Sec-WebSocket-Key", Convert.ToBase64String(key)),
        ];
        return subProtocol is null ? headers : [.. headers, KeyValuePair.Create("Sec-WebSocket-Protocol", subProtocol)];
    }

    private static KeyValuePair<string, string> Q(string name, string value) => KeyValuePair.Create(name, value);

    // ---- Tether's own protocol ----

    public static HttpTemplate Push(Random random, int i)
        => new("POST", "/sync/push", [], TetherHeaders, new JsonObject
        {
            ["clientId"] = "fz-" + i,
            ["mutations"] = new JsonArray(Mutation(random, i, 1), Mutation(random, i, 2)),
        });

    /// <summary>A mutation of every test model mutator and of <c>changes</c>, on the fuzz user's own team.</summary>
    public static JsonObject Mutation(Random random, int i, long id)
    {
        string suffix = $"{i}-{id}";
        (string name, object args) = random.Next(10) switch
        {
            0 => ("createTeam", (object)new { id = "fzt" + suffix, name = "t" }),
            1 => ("addMember", new { teamId = "ft", userId = "fzu" + i }),
            2 => ("removeMember", new { teamId = "ft", userId = "fzu" + i }),
            3 => ("createProject", new { id = "fzp" + suffix, teamId = "ft", name = "p" }),
            4 => ("updateIssue", new { id = "fi", title = "t", status = "doing" }),
            5 => ("deleteIssue", new { id = "fzi" + suffix }),
            6 => ("addComment", new { id = "fzc" + suffix, issueId = "fi", body = "b" }),
            7 => ("changes", new
            {
                changes = new object[]
                {
                    new { action = "create", modelName = "issue", modelId = "fzx" + suffix, data = new { id = "fzx" + suffix, teamId = "ft", projectId = "fp", title = "t", status = "todo" } },
                    new { action = "update", modelName = "issue", modelId = "fi", data = new { title = "u" } },
                    new { action = "delete", modelName = "issue", modelId = "fzx" + suffix },
                },
            }),
            _ => ("createIssue", new { id = "fzi" + suffix, projectId = "fp", title = "t", description = "d", status = "todo" }),
        };
        return new JsonObject { ["id"] = id, ["name"] = name, ["args"] = JsonSerializer.SerializeToNode(args) };
    }

    public static HttpTemplate Bootstrap(Random random, int i)
        => new("POST", "/sync/bootstrap", [], TetherHeaders, random.Next(2) == 0
            ? new JsonObject { ["type"] = "eager", ["models"] = new JsonArray("team", "member", "project", "issue", "comment") }
            : new JsonObject { ["type"] = "lazy", ["models"] = new JsonArray("issue", "project"), ["syncGroups"] = new JsonArray("team:ft", "user:" + FuzzUser) });

    public static HttpTemplate Delta(Random random, int i)
        => new("GET", "/sync/delta", [Q("from", random.Next(3).ToString(Inv)), Q("to", random.Next(5, 50).ToString(Inv)), Q("limit", "100")], TetherHeaders, null);

    /// <summary>From 0, where the fuzz user's data is: a valid poll answers at once.</summary>
    public static HttpTemplate Poll(Random random, int i)
        => new("GET", "/sync/poll", [Q("from", "0"), Q("timeoutMs", "50")], TetherHeaders, null);

    public static HttpTemplate Events(Random random, int i)
        => new("GET", "/sync/events", [Q("from", "0"), Q("clientId", "fz-events")], TetherHeaders, null);

    /// <summary>The admin API, as an admin calls it. Not the log: an admin may read every user's actions, which the
    /// leak check would take for a leak; its one input, the limit, has tests of its own.</summary>
    public static HttpTemplate Admin(Random random, int i) => random.Next(4) switch
    {
        0 => new("GET", "/sync/admin/status", [], BearerOnly, null),
        1 => new("GET", "/sync/admin/clients", [], BearerOnly, null),
        2 => new("GET", "/sync/admin/groups/fz-user-" + (i % 3), [], BearerOnly, null),
        _ => new("POST", "/sync/admin/compact", [Q("upTo", "0")], BearerOnly, null),
    };

    /// <summary>The live WebSocket's upgrade, as a browser sends it (token and versions in the query).</summary>
    public static HttpTemplate LiveUpgrade(Random random, int i)
        => new("GET", "/sync/live", [Q("clientId", "fz-live"), Q("access_token", Token), Q("protocol", "1"), Q("schema", "1")], Upgrade(random, "tether.v1"), null);

    /// <summary>A frame a live client sends: a push (mostly) or a ping.</summary>
    public static JsonObject LiveFrame(Random random, int i)
        => random.Next(4) == 0
            ? new JsonObject { ["type"] = "ping" }
            : new JsonObject { ["type"] = "push", ["requestId"] = "r" + i, ["clientId"] = "fzl-" + i, ["mutations"] = new JsonArray(Mutation(random, i, 1), Mutation(random, i, 2)) };

    // ---- LiveStore ----

    public static string LiveStoreQueryPayload(string token) => Uri.EscapeDataString(JsonSerializer.Serialize(new { authToken = token }));

    public static HttpTemplate LiveStoreHttp(Random random, int i)
    {
        string storeId = "fz-http-" + (i % 4);
        return new("POST", "/livestore", [Q("storeId", storeId), Q("payload", LiveStoreQueryPayload(Token)), Q("transport", "http")], [], LiveStoreRequest(random, i, storeId, "SyncHttpRpc"));
    }

    public static HttpTemplate LiveStoreUpgrade(Random random, int i)
        => new("GET", "/livestore", [Q("storeId", "fz-ws"), Q("payload", LiveStoreQueryPayload(Token)), Q("transport", "ws")], Upgrade(random, null), null);

    /// <summary>An RPC request of the sync protocol: a pull, a push or (HTTP) a ping.</summary>
    public static JsonObject LiveStoreRequest(Random random, int i, string storeId, string rpc)
    {
        (string tag, JsonObject payload) = random.Next(rpc == "SyncHttpRpc" ? 5 : 4) switch
        {
            0 or 1 => ("Pull", new JsonObject
            {
                ["storeId"] = storeId,
                ["live"] = random.Next(2) == 0,
                ["cursor"] = random.Next(2) == 0
                    ? new JsonObject { ["_tag"] = "None" }
                    : new JsonObject { ["_tag"] = "Some", ["value"] = new JsonObject { ["backendId"] = "b", ["eventSequenceNumber"] = random.Next(3) } },
            }),
            2 or 3 => ("Push", new JsonObject
            {
                ["storeId"] = storeId,
                ["batch"] = LiveStoreEvents(random.Next(1, 3), 2, "fz"),
                ["backendId"] = new JsonObject { ["_tag"] = "None" },
            }),
            _ => ("Ping", new JsonObject()),
        };
        return WireClient.Request("q" + i, rpc + "." + tag, payload);
    }

    /// <summary>A chain of <paramref name="count"/> events from seqNum <paramref name="first"/>, each carrying
    /// <paramref name="text"/>, from client <c>client-&lt;text&gt;</c>.</summary>
    public static JsonArray LiveStoreEvents(long first, int count, string text)
        => new([.. WireClient.Events(first, count, "client-" + text, seqNum => new JsonObject { ["id"] = $"todo-{seqNum}", ["text"] = text })]);

    /// <summary>A message a LiveStore socket client sends: requests mostly, or the envelope's other messages.</summary>
    public static JsonObject LiveStoreFrame(Random random, int i) => random.Next(6) switch
    {
        0 => new JsonObject { ["_tag"] = "Ping" },
        1 => new JsonObject { ["_tag"] = random.Next(2) == 0 ? "Interrupt" : "Ack", ["requestId"] = "w" + (i - 1) },
        _ => LiveStoreRequest(random, i, "fz-ws", "SyncWsRpc"),
    };

    public static HttpTemplate LiveStoreAdmin(Random random, int i)
        => random.Next(2) == 0
            ? new("GET", "/livestore/admin/stores", [], BearerOnly, null)
            : new("POST", "/livestore/admin/reset", [Q("storeId", "fz-admin-" + (i % 3))], BearerOnly, null);

    // ---- Replicache ----

    public static HttpTemplate ReplicachePush(Random random, int i)
        => new("POST", "/replicache/push", [], BearerOnly, new JsonObject
        {
            ["profileID"] = "p1",
            ["clientGroupID"] = "fz-group",
            ["mutations"] = new JsonArray(ReplicacheMutation(random, i, 1), ReplicacheMutation(random, i, 2)),
            ["pushVersion"] = 1,
            ["schemaVersion"] = "",
        });

    private static JsonObject ReplicacheMutation(Random random, int i, long id)
    {
        JsonObject mutation = Mutation(random, i, id);
        mutation["clientID"] = "fz-rc-" + i;
        mutation["timestamp"] = 232.194845;
        return mutation;
    }

    public static HttpTemplate ReplicachePull(Random random, int i)
        => new("POST", "/replicache/pull", [], BearerOnly, new JsonObject
        {
            ["profileID"] = "p1",
            ["clientGroupID"] = "fz-group",
            ["cookie"] = random.Next(3) switch { 0 => null, 1 => 3, _ => new JsonObject { ["order"] = 5, ["head"] = 3 } },
            ["pullVersion"] = 1,
            ["schemaVersion"] = "",
        });

    public static HttpTemplate ReplicachePoke(Random random, int i)
        => new("GET", "/replicache/poke", [Q("clientGroupID", "fz-group"), Q("access_token", Token)], [], null);

    private static System.Globalization.CultureInfo Inv => System.Globalization.CultureInfo.InvariantCulture;
}
