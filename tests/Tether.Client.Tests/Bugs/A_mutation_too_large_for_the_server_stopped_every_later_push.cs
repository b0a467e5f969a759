using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>A mutation larger than the server's body limit stopped every push after it: the mutations queued behind
/// it never reached the server.</summary>
public sealed class A_mutation_too_large_for_the_server_stopped_every_later_push
{
    [Fact]
    public async Task A_mutation_too_large_for_the_server_is_refused_alone_and_later_ones_still_go_through()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBodyBytes = 2_000 });
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        var rejections = new List<MutationRejectedEventArgs>();
        alice.MutationRejected += (_, e) => rejections.Add(e);

        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "T" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        MutationHandle huge = await alice.MutateAsync("createIssue", new { id = "i-huge", projectId = "p1", title = "Huge", description = new string('d', 5_000) });
        MutationHandle small = await alice.MutateAsync("createIssue", new { id = "i-small", projectId = "p1", title = "Small" });

        var refused = await Assert.ThrowsAsync<MutationRejectedException>(() => huge.Confirmed.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("payload_too_large", refused.Code);
        await small.Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(ClientStatus.Failed, alice.Status);
        Assert.Equal("payload_too_large", Assert.Single(rejections).Code);
    }
}
