using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Protocol;

namespace Tether.Server.Tests.Harness;

/// <summary>The protocol's HTTP calls as one user, with assertions only where the test cannot want anything else.</summary>
public sealed class SyncApi : IDisposable
{
    public SyncApi(TestServer server, string userId)
        : this(server.BaseAddress, userId)
    {
    }

    /// <summary>Against a server at <paramref name="baseAddress"/> (one in a process of its own).</summary>
    public SyncApi(Uri baseAddress, string userId)
    {
        UserId = userId;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + userId);
        Http.DefaultRequestHeaders.Add(ProtocolHeaders.Protocol, "1");
        Http.DefaultRequestHeaders.Add(ProtocolHeaders.Schema, "1");
    }

    public string UserId { get; }
    public HttpClient Http { get; }
    public string Token => "dev:" + UserId;

    /// <summary>A mutation as the client sends it.</summary>
    public static JsonObject M(long id, string name, object args)
        => new() { ["id"] = id, ["name"] = name, ["args"] = JsonSerializer.SerializeToNode(args) };

    public Task<HttpResponseMessage> PushRawAsync(string clientId, params JsonObject[] mutations)
        => Http.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = clientId, ["mutations"] = new JsonArray(mutations) });

    /// <summary>Pushes and expects a 200 answer.</summary>
    public async Task<JsonElement> PushAsync(string clientId, params JsonObject[] mutations)
    {
        using HttpResponseMessage response = await PushRawAsync(clientId, mutations);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"push answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Pushes one mutation and expects it applied; returns its lastSyncId.</summary>
    public async Task<long> ApplyAsync(string clientId, long id, string name, object args)
    {
        JsonElement result = (await PushAsync(clientId, M(id, name, args))).GetProperty("results")[0];
        Assert.True(result.GetProperty("status").GetString() == "applied", $"{name} #{id} was not applied: {result}");
        return result.GetProperty("lastSyncId").GetInt64();
    }

    public async Task<JsonElement> DeltaAsync(long from, long? to = null, int? limit = null)
    {
        using HttpResponseMessage response = await Http.GetAsync(DeltaUrl(from, to, limit));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"delta answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static string DeltaUrl(long from, long? to = null, int? limit = null)
        => $"/sync/delta?from={from}" + (to is null ? "" : $"&to={to}") + (limit is null ? "" : $"&limit={limit}");

    /// <summary>Every action visible to this user after <paramref name="from"/>, following hasMore.</summary>
    public async Task<List<JsonElement>> AllActionsAsync(long from = 0)
    {
        var actions = new List<JsonElement>();
        while (true)
        {
            JsonElement page = await DeltaAsync(from);
            actions.AddRange(page.GetProperty("sync").EnumerateArray());
            from = page.GetProperty("lastSyncId").GetInt64();
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                return actions;
            }
        }
    }

    public Task<HttpResponseMessage> BootstrapRawAsync(object body)
        => Http.PostAsync("/sync/bootstrap", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    public async Task<BootstrapResult> BootstrapAsync(object body)
    {
        using HttpResponseMessage response = await BootstrapRawAsync(body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"bootstrap answered {(int)response.StatusCode}: {text}");
        Assert.Equal(ProtocolHeaders.NdjsonContentType, response.Content.Headers.ContentType?.MediaType);
        return BootstrapResult.Parse(text);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>A parsed NDJSON bootstrap: its start line, the records by model and id, its end line.</summary>
public sealed record BootstrapResult(JsonElement Start, Dictionary<(string Model, string Id), JsonElement> Rows, JsonElement End, int RowLines)
{
    public long FirstSyncId => Start.GetProperty("firstSyncId").GetInt64();

    public static BootstrapResult Parse(string ndjson)
    {
        string[] lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        JsonElement start = JsonDocument.Parse(lines[0]).RootElement.Clone();
        JsonElement end = JsonDocument.Parse(lines[^1]).RootElement.Clone();
        Assert.Equal("start", start.GetProperty("type").GetString());
        Assert.Equal("end", end.GetProperty("type").GetString());
        var rows = new Dictionary<(string, string), JsonElement>();
        foreach (string line in lines[1..^1])
        {
            JsonElement page = JsonDocument.Parse(line).RootElement.Clone();
            Assert.Equal("rows", page.GetProperty("type").GetString());
            string model = page.GetProperty("modelName").GetString()!;
            foreach (JsonElement row in page.GetProperty("rows").EnumerateArray())
            {
                Assert.True(rows.TryAdd((model, row.GetProperty("id").GetString()!), row), "a record appeared twice in a bootstrap");
            }
        }
        Assert.Equal(rows.Count, end.GetProperty("rowCount").GetInt64());
        return new BootstrapResult(start, rows, end, lines.Length - 2);
    }
}
