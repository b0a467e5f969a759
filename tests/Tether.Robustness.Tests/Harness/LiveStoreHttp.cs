using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tether.LiveStore.Tests.Harness;
using Tether.Robustness.Tests.Fuzz;

namespace Tether.Robustness.Tests.Harness;

/// <summary>The LiveStore HTTP transport as <c>makeHttpSync</c> uses it: one RPC request a POST, its answers a JSON array.</summary>
internal static class LiveStoreHttp
{
    public static string Path(string storeId, string token)
        => $"/livestore?storeId={Uri.EscapeDataString(storeId)}&payload={Uri.EscapeDataString(Templates.LiveStoreQueryPayload(token))}&transport=http";

    public static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient http, string storeId, string token, JsonObject request)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(Path(storeId, token), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every event of the store and its backendId, as an HTTP pull from the start answers them.</summary>
    public static async Task<string> PullAllAsync(HttpClient http, string storeId, string token)
    {
        JsonObject pull = WireClient.Request("pull", "SyncHttpRpc.Pull", new JsonObject
        {
            ["storeId"] = storeId,
            ["live"] = false,
            ["cursor"] = new JsonObject { ["_tag"] = "None" },
        });
        (HttpStatusCode status, string body) = await PostAsync(http, storeId, token, pull);
        Assert.True(status == HttpStatusCode.OK, $"a LiveStore pull of {storeId} answered {(int)status}: {body}");
        return body;
    }

    public static async Task PushAsync(HttpClient http, string storeId, string token, JsonArray batch)
    {
        JsonObject push = WireClient.Request("push", "SyncHttpRpc.Push", new JsonObject
        {
            ["storeId"] = storeId,
            ["batch"] = batch,
            ["backendId"] = new JsonObject { ["_tag"] = "None" },
        });
        (HttpStatusCode status, string body) = await PostAsync(http, storeId, token, push);
        Assert.True(status == HttpStatusCode.OK && body.Contains("\"Success\"", StringComparison.Ordinal), $"a LiveStore push to {storeId} answered {(int)status}: {body}");
    }
}
