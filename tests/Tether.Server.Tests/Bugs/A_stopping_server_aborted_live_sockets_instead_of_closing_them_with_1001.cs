using System.Net.WebSockets;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests.Bugs;

/// <summary>A server that stopped aborted its live sockets, so clients saw a broken connection instead of the close
/// status 1001 that tells them to reconnect.</summary>
public sealed class A_stopping_server_aborted_live_sockets_instead_of_closing_them_with_1001
{
    [Fact]
    public async Task A_stopping_server_closes_live_sockets_with_1001()
    {
        TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        Task stopping = server.DisposeAsync().AsTask();
        JsonElement? frame;
        do
        {
            frame = await live.ReceiveAsync(TimeSpan.FromSeconds(10));
        }
        while (frame is not null);
        await stopping;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, live.Socket.CloseStatus);
    }
}
