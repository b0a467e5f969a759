using System.Text.Json;

namespace Tether.Server.Tests.Harness;

/// <summary>
/// Live and SSE start at the fan-out's position, which trails a commit by the log tailer's next round. A test that
/// wants a connection to start after some commit waits here first: a probe connection reads until the fan-out has
/// published that syncId. No sleeping: it returns as soon as the frame is there.
/// </summary>
public static class FanoutProbe
{
    public static async Task WaitForAsync(TestServer server, long syncId)
    {
        await using LiveClient probe = await LiveClient.ConnectAsync(server, "fanout-probe");
        JsonElement handshake = await probe.ExpectAsync("handshake");
        if (handshake.LastSyncId() < syncId)
        {
            await probe.ReadUntilAsync(syncId);
        }
    }
}
