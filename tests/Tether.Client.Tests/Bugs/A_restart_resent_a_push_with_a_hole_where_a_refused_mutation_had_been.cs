using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>Found by the convergence property: after a refused mutation left the queue, a restarted client re-sent
/// the rest as one push with a hole in its ids, which the server refuses as not consecutive, for ever.</summary>
public sealed class A_restart_resent_a_push_with_a_hole_where_a_refused_mutation_had_been
{
    [Fact]
    public async Task A_restarted_client_sends_a_queue_with_a_hole_and_every_mutation_of_it_is_confirmed()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        var store = new InMemoryLocalStore();
        bool frozen = false;
        TetherClient alice = await ClientHarness.StartAsync(server, "alice", store, o => o.WrapLiveChannel = inner => new HeldLiveChannel(inner, Task.CompletedTask, () => frozen));
        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "T" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        // With the live stream frozen, applied mutations stay pending (their data does not arrive); the refused one
        // leaves the queue, which now has a hole.
        frozen = true;
        var rejected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        alice.MutationRejected += (_, _) => rejected.TrySetResult();
        await alice.MutateAsync("createIssue", new { id = "before-hole", projectId = "p1", title = "A" });
        await alice.MutateAsync(ServerRefusesMutator.MutatorName, new { id = "hole" });
        await rejected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await alice.MutateAsync("createIssue", new { id = "after-hole", projectId = "p1", title = "B" });
        await ClientHarness.EventuallyAsync(() => alice.PendingCount == 2, "two mutations wait for their data");
        await alice.DisposeAsync();

        await using TetherClient restarted = await ClientHarness.StartAsync(server, "alice", store);

        await ClientHarness.EventuallyAsync(() => restarted.PendingCount == 0 || restarted.Status == ClientStatus.Failed, "the queue drains");
        Assert.NotEqual(ClientStatus.Failed, restarted.Status);
        Assert.NotNull(restarted.Issue("before-hole"));
        Assert.NotNull(restarted.Issue("after-hole"));
    }
}
