using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D4: one user's 1,500 store-creating HTTP pulls on <c>/livestore</c> were all answered 200 and created
/// 1,500 stores, while the same burst on <c>/sync/delta</c> got 429s.</summary>
public sealed class D4_livestore_had_no_per_user_rate_limit
{
    private const int Burst = 1_500;

    // A small budget, so that the burst outruns it however slowly this machine sends it; the store limit is the default.
    private static TestServerSettings Settings => new() { Tether = o => { o.Limits.RequestsPerSecond = 20; o.Limits.RequestBurst = 100; } };

    [Fact]
    public async Task A_burst_of_store_creating_http_pulls_gets_429s_and_creates_at_most_the_users_store_limit()
    {
        await using TestServer server = await TestServer.StartAsync(Settings);
        using var http = new HttpClient();

        var answers = new List<(HttpStatusCode Status, string? RetryAfter, JsonElement Body)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Burst), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellationToken) =>
        {
            var answer = await PullAsync(http, server, "mallory", $"burst-{i}", cancellationToken);
            lock (answers)
            {
                answers.Add(answer);
            }
        });

        Assert.All(answers, answer => Assert.Contains(answer.Status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        var limited = answers.Where(answer => answer.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, answer =>
        {
            Assert.True(int.TryParse(answer.RetryAfter, out int seconds) && seconds >= 1, $"Retry-After was '{answer.RetryAfter}'");
            // The LiveStore protocol's shape: the request's Exit, failed with a named UnknownError.
            JsonElement exit = Assert.Single(answer.Body.EnumerateArray());
            Assert.Equal("Exit", exit.GetProperty("_tag").GetString());
            Assert.Equal("Failure", exit.GetProperty("exit").GetProperty("_tag").GetString());
            JsonElement error = exit.GetProperty("exit").GetProperty("cause").GetProperty("error");
            Assert.Equal("UnknownError", error.GetProperty("_tag").GetString());
            Assert.Equal("RateLimited", error.GetProperty("cause").GetProperty("name").GetString());
        });

        IReadOnlyList<LiveStoreInfo> stores = await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync(TestContext.Current.CancellationToken);
        int maxStores = server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LiveStoreOptions>>().Value.MaxStoresPerUser;
        Assert.InRange(stores.Count, 1, maxStores);
        Assert.True(stores.Count < Burst / 10, $"{stores.Count} stores were created by one user's burst of {Burst} pulls");
    }

    [Fact]
    public async Task Another_users_pull_is_answered_while_one_user_is_over_the_rate()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.RequestsPerSecond = 1; o.Limits.RequestBurst = 5; } });
        using var http = new HttpClient();
        HttpStatusCode last = HttpStatusCode.OK;
        for (int i = 0; i < 100 && last == HttpStatusCode.OK; i++)
        {
            last = (await PullAsync(http, server, "mallory", "shared", TestContext.Current.CancellationToken)).Status;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last);

        var (status, _, body) = await PullAsync(http, server, "alice", "shared", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Chunk", body[0].GetProperty("_tag").GetString());
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter, JsonElement Body)> PullAsync(HttpClient http, TestServer server, string userId, string storeId, CancellationToken cancellationToken)
    {
        string payload = Uri.EscapeDataString(Uri.EscapeDataString(JsonSerializer.Serialize(new { authToken = "dev:" + userId })));
        var url = new Uri($"http://127.0.0.1:{server.BaseAddress.Port}/livestore?storeId={Uri.EscapeDataString(storeId)}&payload={payload}&transport=http");
        var request = new JsonObject
        {
            ["_tag"] = "Request",
            ["id"] = "0",
            ["tag"] = "SyncHttpRpc.Pull",
            ["payload"] = new JsonObject { ["storeId"] = storeId, ["cursor"] = new JsonObject { ["_tag"] = "None" }, ["live"] = false },
            ["traceId"] = "t",
            ["spanId"] = "s",
            ["sampled"] = false,
            ["headers"] = new JsonArray(),
        };
        using HttpResponseMessage response = await http.PostAsJsonAsync(url, request, cancellationToken);
        JsonElement body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
        return (response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), body);
    }
}
