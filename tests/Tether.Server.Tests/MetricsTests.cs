using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>The <c>Tether.Server</c> meter, read from the test's own server only (other tests' servers run at the same
/// time and would satisfy any "at least" check).</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task The_Tether_Server_meter_counts_pushes_mutations_commits_and_connections()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        await using (LiveClient live = await LiveClient.ConnectAsync(server, "alice"))
        {
            await live.ExpectAsync("handshake");
            Assert.Equal([1], meters.Values("tether.server.connections"));
            Assert.Equal(["websocket"], meters.TagValues("tether.server.connections", "transport"));

            await new Seed(alice, "c1").TeamWithProjectAsync("t1", "p1");
            JsonElement refused = await alice.PushAsync("c1", M(3, "createProject", new { id = "p2", teamId = "nope", name = "P" }));
            Assert.Equal("rejected", refused.GetProperty("results")[0].GetProperty("status").GetString());
            JsonElement retried = await alice.PushAsync("c1", M(3, "createProject", new { id = "p2", teamId = "nope", name = "P" }));
            Assert.Equal("rejected", retried.GetProperty("results")[0].GetProperty("status").GetString());
            // The team's actions reaching the live connection means the fan-out ran for them.
            await live.ReadUntilAsync(await alice.HeadAsync());
        }

        // Four pushes: the team, the project, the refused project and its retry. The retry runs no mutation but its
        // answer is counted as one, marked as a retry; it commits nothing new, but its batch is still a commit.
        Assert.Equal(4, meters.Sum("tether.server.pushes"));
        Assert.Equal(2, meters.Sum("tether.server.mutations", "status", "applied"));
        Assert.Equal(2, meters.Sum("tether.server.mutations", "status", "rejected"));
        Assert.Equal(1, meters.Sum("tether.server.mutations", "retry", "True"));
        Assert.Equal(4, meters.Sum("tether.server.commits", "outcome", "committed"));
        Assert.Equal(0, meters.Sum("tether.server.commits", "outcome", "failed"));
        Assert.Equal(4, meters.Count("tether.server.commit.duration"));
        Assert.InRange(meters.Count("tether.server.fanout.latency"), 1, 4);
        Assert.All(meters.Values("tether.server.commit.duration"), ms => Assert.True(ms >= 0));
        // The connection's end is counted when the server has seen the close.
        await meters.WaitUntilAsync(m => m.Values("tether.server.connections").Length == 2, "the connection's end is counted");
        Assert.Equal([1, -1], meters.Values("tether.server.connections"));
    }
}
