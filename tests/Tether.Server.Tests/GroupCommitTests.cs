using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>Group commit: pushes that wait for the writer are run together, in one transaction.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Pushes_that_waited_while_the_writer_was_busy_are_committed_together_in_one_transaction()
    {
        var gate = new GateMutator();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = o => o.Limits.RequestsPerSecond = 0,
            Builder = tether => tether.AddMutators([gate]),
        });
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        using SyncApi carol = server.Api("carol");
        await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1");
        double before = meters.Sum("tether.server.commits", "outcome", "committed");

        // Carol's push holds the writer inside its commit while ten pushes of alice's clients queue behind it.
        Task<JsonElement> held = carol.PushAsync("carol-gate", M(1, GateMutator.MutatorName, new { }));
        await gate.Entered;
        Task<long>[] pushes = [.. Enumerable.Range(0, 10).Select(i => alice.ApplyAsync($"w{i}", 1, "createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }))];
        await Health.WaitUntilAsync(server, health => health.QueuedPushes() == 10, "the ten pushes wait for the writer");
        gate.Open();
        await held;
        long[] syncIds = await Task.WhenAll(pushes);

        // Two commits: carol's, then one for all ten pushes.
        Assert.Equal(before + 2, meters.Sum("tether.server.commits", "outcome", "committed"));
        Assert.Equal(10, syncIds.Distinct().Count());
        Assert.Equal(syncIds.Max() - 9, syncIds.Min());
    }
}
