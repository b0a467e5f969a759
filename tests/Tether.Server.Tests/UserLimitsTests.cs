using System.Net;
using System.Net.WebSockets;
using Tether.Protocol;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>The per-user limits on long-lived connections (docs/security.md, "Bad input").</summary>
public sealed class UserLimitsTests
{
    [Fact]
    public async Task One_user_holds_at_most_the_connection_limit_over_live_SSE_and_long_poll_together()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.MaxConnectionsPerUser = 2; o.Limits.RequestsPerSecond = 0; } });
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");
        SseClient sse = await SseClient.ConnectAsync(alice);
        await sse.ReceiveAsync();

        using HttpResponseMessage poll = await alice.Http.GetAsync("/sync/poll?from=0&timeoutMs=0", TestContext.Current.CancellationToken);
        using HttpResponseMessage events = await alice.Http.GetAsync("/sync/events", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var refusedLive = new ClientWebSocket();
        refusedLive.Options.CollectHttpResponseDetails = true;
        refusedLive.Options.SetRequestHeader("Authorization", "Bearer " + alice.Token);
        await Assert.ThrowsAsync<WebSocketException>(() => refusedLive.ConnectAsync(new Uri($"ws://127.0.0.1:{server.BaseAddress.Port}/sync/live"), TestContext.Current.CancellationToken));
        using HttpResponseMessage bobsPoll = await bob.Http.GetAsync("/sync/poll?from=0&timeoutMs=0", TestContext.Current.CancellationToken);

        foreach (HttpResponseMessage refused in new[] { poll, events })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter?.Delta);
            await Errors.ReadAsync(refused, ErrorCodes.RateLimited);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, refusedLive.HttpStatusCode);
        Assert.Equal(HttpStatusCode.OK, bobsPoll.StatusCode);

        // Leaving frees a place, once the server has noticed the client is gone.
        await sse.DisposeAsync();
        HttpStatusCode status = HttpStatusCode.TooManyRequests;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (status == HttpStatusCode.TooManyRequests)
        {
            await Task.Delay(20, deadline.Token);
            using HttpResponseMessage again = await alice.Http.GetAsync("/sync/poll?from=0&timeoutMs=0", deadline.Token);
            status = again.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
