using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore.Tests.Harness;
using Tether.Server;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests;

/// <summary>The per-user limits as the LiveStore front end applies them: the rate budget and connection count it
/// shares with the other front ends, live pulls per socket and stores per user.</summary>
public sealed class UserLimitsTests
{
    private static TestServerSettings Settings(Action<TetherLimits>? limits = null, Action<LiveStoreOptions>? liveStore = null) => new()
    {
        Tether = o => limits?.Invoke(o.Limits),
        Builder = builder => builder.Services.Configure<LiveStoreOptions>(o =>
        {
            o.FirstRequestTimeout = TimeSpan.FromMinutes(1);
            liveStore?.Invoke(o);
        }),
    };

    [Fact]
    public async Task LiveStore_requests_spend_the_budget_the_sync_endpoints_spend()
    {
        await using TestServer server = await TestServer.StartAsync(Settings(limits => { limits.RequestsPerSecond = 1; limits.RequestBurst = 5; }));
        using SyncApi alice = server.Api("alice");
        HttpStatusCode delta = HttpStatusCode.OK;
        for (int i = 0; i < 100 && delta == HttpStatusCode.OK; i++)
        {
            using HttpResponseMessage response = await alice.Http.GetAsync("/sync/delta?from=0", TestContext.Current.CancellationToken);
            delta = response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, delta);

        // Three, because the bucket's one-second refill may land between two of them.
        using var http = new HttpClient();
        var pulls = new List<HttpResponseMessage>();
        for (int i = 0; i < 3; i++)
        {
            pulls.Add(await http.PostAsJsonAsync(WireClient.Url(server, "s", "dev:alice", "http", websocket: false),
                WireClient.Request("0", "SyncHttpRpc.Pull", new JsonObject { ["storeId"] = "s", ["cursor"] = new JsonObject { ["_tag"] = "None" } }), TestContext.Current.CancellationToken));
        }

        HttpResponseMessage pull = pulls.First(response => response.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.NotNull(pull.Headers.RetryAfter?.Delta);
        JsonElement frames = JsonDocument.Parse(await pull.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        JsonElement error = Assert.Single(frames.EnumerateArray()).Failure();
        Assert.Equal("RateLimited", error.GetProperty("cause").GetProperty("name").GetString());
        pulls.ForEach(response => response.Dispose());
    }

    [Fact]
    public async Task Requests_on_a_socket_beyond_the_users_rate_are_answered_RateLimited()
    {
        await using TestServer server = await TestServer.StartAsync(Settings(limits => { limits.RequestsPerSecond = 1; limits.RequestBurst = 3; }));
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        var pulls = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            pulls.Add(await client.PullAsync("s", live: false));
        }

        var answers = new List<JsonElement>();
        foreach (string pull in pulls)
        {
            answers.Add(await client.ExpectAsync(pull));
        }

        // The upgrade took one of the three, the first two pulls the rest; the bucket's one-second refill may let one
        // more through, not three.
        Assert.All(answers.Take(2), answer => Assert.Equal("Chunk", answer.Tag()));
        JsonElement[] limited = [.. answers.Skip(2).Where(answer => answer.Tag() == "Exit")];
        Assert.True(limited.Length >= 2, $"{limited.Length} of the last four pulls were refused");
        Assert.All(limited, answer => Assert.Equal("RateLimited", answer.Failure().GetProperty("cause").GetProperty("name").GetString()));
        // A ping is not a request and costs nothing.
        await client.SendAsync(new JsonObject { ["_tag"] = "Ping" });
        JsonElement? frame;
        do
        {
            // The successful pulls' ends come first.
            frame = await client.ReceiveAsync();
        }
        while (frame?.Tag() == "Exit");
        Assert.Equal("Pong", frame?.Tag());
    }

    [Fact]
    public async Task A_socket_beyond_the_users_connection_limit_is_closed_with_1008_and_counts_against_the_other_front_ends()
    {
        await using TestServer server = await TestServer.StartAsync(Settings(limits => { limits.MaxConnectionsPerUser = 1; limits.RequestsPerSecond = 0; }));
        await using WireClient first = await WireClient.ConnectAsync(server, "s");
        Assert.Single(await first.ReadUntilNoMoreAsync(await first.PullAsync("s")));

        await using WireClient second = await WireClient.ConnectAsync(server, "s");
        using SyncApi alice = server.Api("alice");
        using HttpResponseMessage poll = await alice.Http.GetAsync("/sync/poll?from=0&timeoutMs=0", TestContext.Current.CancellationToken);

        Assert.Null(await second.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, second.CloseStatus);
        Assert.Equal(HttpStatusCode.TooManyRequests, poll.StatusCode);
        await using WireClient bobs = await WireClient.ConnectAsync(server, "s", "dev:bob");
        Assert.Single(await bobs.ReadUntilNoMoreAsync(await bobs.PullAsync("s")));
    }

    [Fact]
    public async Task A_socket_follows_at_most_the_live_pull_limit()
    {
        await using TestServer server = await TestServer.StartAsync(Settings(liveStore: o => o.MaxLivePullsPerSocket = 2));
        await using WireClient client = await WireClient.ConnectAsync(server, "s");
        string a = await client.PullAsync("s");
        string b = await client.PullAsync("s");
        string backendId = (await client.ReadUntilNoMoreAsync(a))[0].GetProperty("backendId").GetString()!;
        await client.ReadUntilNoMoreAsync(b);

        string c = await client.PullAsync("s");
        JsonElement refused = (await client.ExpectAsync(c)).Failure();
        string d = await client.PullAsync("s", live: false);
        Assert.Single(await client.ReadUntilNoMoreAsync(d));

        Assert.Equal("TooManyLivePulls", refused.GetProperty("cause").GetProperty("name").GetString());
        // The two it follows still receive new events.
        (await client.ExpectAsync(await client.PushAsync("s", WireClient.Events(1, 1), backendId))).AssertSuccess();
        long[] followedByA = (await client.ReadUntilNoMoreAsync(a)).SeqNums();
        long[] followedByB = (await client.ReadUntilNoMoreAsync(b)).SeqNums();
        Assert.Equal([1L], followedByA);
        Assert.Equal([1L], followedByB);
    }

    [Fact]
    public async Task A_user_creates_at_most_the_store_limit_and_the_count_survives_a_restart()
    {
        TestServer server = await TestServer.StartAsync(Settings(liveStore: o => o.MaxStoresPerUser = 2));
        try
        {
            await using (WireClient alice = await WireClient.ConnectAsync(server, "s1"))
            {
                Assert.Single(await alice.ReadUntilNoMoreAsync(await alice.PullAsync("s1", live: false)));
            }
            await using (WireClient alice = await WireClient.ConnectAsync(server, "s2"))
            {
                (await alice.ExpectAsync(await alice.PushAsync("s2", WireClient.Events(1, 1)))).AssertSuccess();
            }
            await using (WireClient alice = await WireClient.ConnectAsync(server, "s3"))
            {
                JsonElement pulled = (await alice.ExpectAsync(await alice.PullAsync("s3"))).Failure();
                JsonElement pushed = (await alice.ExpectAsync(await alice.PushAsync("s3", WireClient.Events(1, 1)))).Failure();
                Assert.Equal("TooManyStores", pulled.GetProperty("cause").GetProperty("name").GetString());
                Assert.Equal("TooManyStores", pushed.GetProperty("cause").GetProperty("name").GetString());
            }
            await using (WireClient bob = await WireClient.ConnectAsync(server, "s3", "dev:bob"))
            {
                Assert.Single(await bob.ReadUntilNoMoreAsync(await bob.PullAsync("s3", live: false)));
            }

            server = await server.RestartAsync();

            await using (WireClient alice = await WireClient.ConnectAsync(server, "s4"))
            {
                JsonElement refused = (await alice.ExpectAsync(await alice.PullAsync("s4"))).Failure();
                Assert.Equal("TooManyStores", refused.GetProperty("cause").GetProperty("name").GetString());
            }
            await using (WireClient alice = await WireClient.ConnectAsync(server, "s2"))
            {
                // A store that exists stays usable.
                long[] events = (await alice.ReadUntilNoMoreAsync(await alice.PullAsync("s2", live: false))).SeqNums();
                Assert.Equal([1L], events);
            }
            IReadOnlyList<LiveStoreInfo> stores = await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync(TestContext.Current.CancellationToken);
            Assert.Equal(["s1", "s2", "s3"], stores.Select(store => store.StoreId).Order(StringComparer.Ordinal));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
