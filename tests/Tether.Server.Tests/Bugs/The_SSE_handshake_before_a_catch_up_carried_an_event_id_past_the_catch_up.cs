using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests.Bugs;

/// <summary>An SSE stream opened behind the head sent its handshake with the head as event id, before the catch-up:
/// a client reconnecting right after it resumed from the head and never got the catch-up's actions.</summary>
public sealed class The_SSE_handshake_before_a_catch_up_carried_an_event_id_past_the_catch_up
{
    [Fact]
    public async Task The_handshake_of_a_stream_behind_the_head_carries_the_position_it_starts_from()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "a").TeamWithProjectAsync("t1", "p1");
        long head = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        await using SseClient events = await SseClient.ConnectAsync(alice, "?from=1");
        (long id, JsonElement handshake) = await events.ReceiveAsync();

        Assert.Equal("handshake", handshake.GetProperty("type").GetString());
        Assert.True(head > 1);
        Assert.Equal(1, id);
    }
}
