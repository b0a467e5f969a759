using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>An app's <c>Changed</c> handler that threw (touching the UI from the wrong thread, say) escaped into the
/// client: the mutation that raised it failed, and so did the client.</summary>
public sealed class A_live_query_handler_that_threw_failed_the_mutation_and_the_client
{
    [Fact]
    public async Task A_throwing_live_query_handler_fails_neither_the_mutation_nor_the_client_nor_the_other_handlers()
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
        Assert.Equal("Still works", Assert.Single(issues.Current).Title);
    }
}
