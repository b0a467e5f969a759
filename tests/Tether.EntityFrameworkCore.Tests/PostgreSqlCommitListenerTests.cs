using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>On PostgreSQL the EF-backed store runs the built-in store's commit listener, as <c>UsePostgreSql</c> does.</summary>
public sealed class PostgreSqlCommitListenerTests
{
    [Fact]
    public async Task A_commit_on_one_node_wakes_a_live_reader_on_another_node_that_never_polls()
    {
        await using TestServer nodeA = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        // Node B's tailer would look for commits only once an hour: only the commit listener can wake it.
        await using TestServer nodeB = await TestServer.StartAsync(new TestServerSettings
        {
            PostgresConnection = nodeA.PostgresConnection,
            Tether = options => options.TailerPollInterval = TimeSpan.FromHours(1),
        });
        await using LiveClient bob = await LiveClient.ConnectAsync(nodeB, "bob", "b1");
        long handshake = (await bob.ExpectAsync("handshake")).LastSyncId();
        using SyncApi alice = nodeA.Api("alice");

        long syncId = await alice.ApplyAsync("a1", 1, "putRecord", new { model = "tag", id = "7", data = new { label = "for everyone" } });

        // Heartbeats keep the socket busy, so the wait for the commit's frame is bounded here.
        List<JsonElement> frames = await bob.ReadUntilAsync(syncId).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Frames.AssertChained(handshake, frames);
        Assert.Equal("""{"id":"7","label":"for everyone"}""", frames[^1].Actions().Single().GetProperty("data").GetRawText());
    }
}
