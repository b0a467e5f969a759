using System.Net.WebSockets;
using Tether.LiveStore.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests;

/// <summary>A LiveStore socket lasts as long as the token of its payload: then it is closed with 1008.</summary>
public sealed class TokenExpiryTests
{
    [Fact]
    public async Task A_socket_whose_payload_token_expires_is_closed_with_1008_and_the_reason()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddSeconds(6);
        await using WireClient client = await WireClient.ConnectAsync(server, "shared", Tokens.Jwt("alice", expires));
        string pull = await client.PullAsync("shared");
        Assert.Single(await client.ReadUntilNoMoreAsync(pull));

        while (await client.ReceiveAsync(TimeSpan.FromSeconds(20)) is not null)
        {
        }

        Assert.True(DateTimeOffset.UtcNow >= Tokens.ExpOf(expires) - TimeSpan.FromMilliseconds(50), "the socket closed before its token expired");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal("The token expired; reconnect with a new one.", client.CloseStatusDescription);
    }
}
