using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Tether.Browser.Tests.Harness;

/// <summary>The sync API of a <see cref="BrowserServer"/> as one user, from the test process: to seed data the
/// browser then loads, and to read what the server holds after the browser synced.</summary>
public sealed class ServerHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _clientId = "test-" + Guid.NewGuid().ToString("N");
    private long _nextMutationId = 1;

    public ServerHttp(BrowserServer server, string userId)
    {
        _http = new HttpClient { BaseAddress = server.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + userId);
    }

    /// <summary>Pushes the mutations (name, args) in one push; every one must be applied.</summary>
    public async Task PushAsync(IEnumerable<(string Name, object Args)> mutations)
    {
        object[] batch = [.. mutations.Select(m => new { id = _nextMutationId++, name = m.Name, args = m.Args })];
        using HttpResponseMessage response = await _http.PostAsJsonAsync("sync/push", new { clientId = _clientId, mutations = batch });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"push answered {(int)response.StatusCode}: {body}");
        foreach (JsonElement result in JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray())
        {
            Assert.True(result.GetProperty("status").GetString() == "applied", $"a seeded mutation was not applied: {result}");
        }
    }

    /// <summary>The current records this user can read, by model and id, from the whole delta (the log's last
    /// action per record wins; deleted records are absent).</summary>
    public async Task<Dictionary<(string Model, string Id), JsonElement>> RecordsAsync()
    {
        var records = new Dictionary<(string Model, string Id), JsonElement>();
        long from = 0;
        while (true)
        {
            JsonElement page = JsonDocument.Parse(await _http.GetStringAsync($"sync/delta?from={from}")).RootElement.Clone();
            foreach (JsonElement action in page.GetProperty("sync").EnumerateArray())
            {
                var key = (action.GetProperty("modelName").GetString()!, action.GetProperty("modelId").GetString()!);
                if (action.GetProperty("action").GetString() == "delete")
                {
                    records.Remove(key);
                }
                else
                {
                    records[key] = action.GetProperty("data");
                }
            }
            from = page.GetProperty("lastSyncId").GetInt64();
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                return records;
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
