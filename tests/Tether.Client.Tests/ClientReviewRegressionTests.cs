using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>Bugs found in review of the client, each pinned by the test named after it.</summary>
public sealed class ClientReviewRegressionTests
{
    [Fact]
    public async Task Bug_a_mutation_too_large_for_the_server_stopped_every_later_push()
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

    [Fact]
    public async Task Bug_a_live_query_handler_that_threw_failed_the_mutation_and_the_client()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        using ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        issues.Changed += (_, _) => throw new InvalidOperationException("The UI may only be touched from its own thread.");
        int seen = 0;
        issues.Changed += (_, _) => Interlocked.Increment(ref seen);

        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "T" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await alice.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        MutationHandle created = await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Still works" });

        await created.Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotEqual(ClientStatus.Failed, alice.Status);
        Assert.True(Volatile.Read(ref seen) >= 1, "the other handler still ran");
        Assert.Equal(0, alice.PendingCount);
    }

    [Fact]
    public async Task Bug_watching_a_live_query_never_ended_after_the_client_was_disposed()
    {
        await using TestServer server = await TestServer.StartAsync();
        TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        var firstResult = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task watching = Task.Run(async () =>
        {
            await foreach (IReadOnlyList<Issue> _ in issues.WatchAsync())
            {
                firstResult.TrySetResult();
            }
        });
        await firstResult.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await alice.DisposeAsync();

        await watching.WaitAsync(TimeSpan.FromSeconds(20));
    }
}

public sealed class ConvergencePropertyRegressionTests
{
    [Fact]
    public async Task Bug_a_restart_resent_a_push_with_a_hole_where_a_refused_mutation_had_been()
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
