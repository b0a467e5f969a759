using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>A live connection lasts as long as the token it was opened with: when the token stops being accepted,
/// the connection ends with an <c>unauthorized</c> error frame, and the client reconnects with a new token.</summary>
public sealed class TokenExpiryTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(6);

    // The server's timer counts whole milliseconds, so it may fire a fraction of one before the deadline.
    private static readonly TimeSpan TimerGranularity = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task A_live_WebSocket_ends_with_an_unauthorized_frame_and_close_1008_when_its_token_expires()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        DateTimeOffset expires = DateTimeOffset.UtcNow + Lifetime;
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", token: Tokens.Jwt("alice", expires));
        await live.ExpectAsync("handshake");

        JsonElement error = await live.ExpectAsync("error");

        Assert.True(DateTimeOffset.UtcNow >= Tokens.ExpOf(expires) - TimerGranularity, "the connection ended before its token expired");
        Assert.Equal("unauthorized", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(await live.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task An_SSE_stream_ends_with_an_unauthorized_event_when_its_token_expires()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        DateTimeOffset expires = DateTimeOffset.UtcNow + Lifetime;
        using SyncApi alice = server.Api("alice");
        alice.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("alice", expires));
        await using SseClient sse = await SseClient.ConnectAsync(alice);
        Assert.Equal("handshake", (await sse.ReceiveAsync()).Data.GetProperty("type").GetString());

        (_, JsonElement error) = await sse.ReceiveAsync();

        Assert.True(DateTimeOffset.UtcNow >= Tokens.ExpOf(expires) - TimerGranularity, "the stream ended before its token expired");
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("unauthorized", error.GetProperty("error").GetProperty("code").GetString());
        Assert.True(await sse.EndsAsync(), "the stream went on after its token expired");
    }
}
