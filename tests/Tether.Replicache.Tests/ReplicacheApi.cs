using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.Replicache.Tests;

/// <summary>The Replicache endpoints as the replicache@15 client calls them: raw JSON bodies, the auth string as the
/// Authorization header.</summary>
public sealed class ReplicacheApi : IDisposable
{
    private readonly HttpClient _http;

    public ReplicacheApi(TestServer server, string userId)
    {
        _http = new HttpClient { BaseAddress = server.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + userId);
    }

    public static JsonObject Mutation(string clientId, long id, string name, object args)
        => new() { ["id"] = id, ["clientID"] = clientId, ["name"] = name, ["args"] = JsonSerializer.SerializeToNode(args), ["timestamp"] = 232.194845 };

    public Task<HttpResponseMessage> PushRawAsync(string clientGroupId, IEnumerable<JsonObject> mutations, int pushVersion = 1, string schemaVersion = "")
        => _http.PostAsJsonAsync("/replicache/push", new JsonObject
        {
            ["profileID"] = "p1",
            ["clientGroupID"] = clientGroupId,
            ["mutations"] = new JsonArray([.. mutations]),
            ["pushVersion"] = pushVersion,
            ["schemaVersion"] = schemaVersion,
        });

    public async Task PushAsync(string clientGroupId, params JsonObject[] mutations)
    {
        using HttpResponseMessage response = await PushRawAsync(clientGroupId, mutations);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"push answered {(int)response.StatusCode}: {body}");
        Assert.DoesNotContain("\"error\"", body);
    }

    public async Task<JsonObject> PullAsync(string clientGroupId, JsonNode? cookie, int pullVersion = 1)
    {
        using HttpResponseMessage response = await _http.PostAsJsonAsync("/replicache/pull", new JsonObject
        {
            ["profileID"] = "p1",
            ["clientGroupID"] = clientGroupId,
            ["cookie"] = cookie?.DeepClone(),
            ["pullVersion"] = pullVersion,
            ["schemaVersion"] = "",
        });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"pull answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public Task<HttpResponseMessage> PullRawAsync(string clientGroupId, JsonNode? cookie)
        => _http.PostAsJsonAsync("/replicache/pull", new JsonObject { ["clientGroupID"] = clientGroupId, ["cookie"] = cookie?.DeepClone(), ["pullVersion"] = 1, ["schemaVersion"] = "" });

    public void Dispose() => _http.Dispose();
}

public static class PullResponses
{
    public static long Order(this JsonObject pull) => pull["cookie"]!["order"]!.GetValue<long>();

    public static JsonArray Patch(this JsonObject pull) => pull["patch"]!.AsArray();

    public static string[] Ops(this JsonObject pull) => [.. pull.Patch().Select(op => op!["op"]!.GetValue<string>() + (op["key"] is { } key ? " " + key.GetValue<string>() : ""))];

    public static long Lmid(this JsonObject pull, string clientId) => pull["lastMutationIDChanges"]![clientId]!.GetValue<long>();
}
