using System.Collections.Concurrent;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed class GroupChangeTests
{
    [Fact]
    public async Task A_user_added_to_a_team_gets_its_records_lazily_and_removed_loses_them_while_his_pending_mutations_elsewhere_stay()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi aliceApi = server.Api("alice");
        using SyncApi bobApi = server.Api("bob");
        var alice = new Seed(aliceApi, "alice-laptop");
        await alice.TeamWithProjectAsync("ta", "pa");
        await alice.IssueAsync("before-bob", "pa", "Made before bob joined");

        using var pushes = new HeldPushes();
        await using TetherClient bob = await ClientHarness.StartAsync(server, "bob", configure: o => o.HttpHandler = pushes);
        await (await bob.MutateAsync("createTeam", new { id = "tb", name = "Bob's" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await (await bob.MutateAsync("createProject", new { id = "pb", teamId = "tb", name = "Bob's project" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));
        await ClientHarness.EventuallyAsync(() => bob.Status == ClientStatus.Live, "bob is live");
        Assert.Null(bob.Issue("before-bob"));
        var statuses = new ConcurrentQueue<ClientStatus>();
        bob.StatusChanged += (_, s) => statuses.Enqueue(s);

        await alice.MemberAsync("ta", "bob");
        await ClientHarness.EventuallyAsync(() => bob.Issue("before-bob") is not null, "bob gets the team's older issue");
        Assert.True(bob.ConfirmedSnapshot().ContainsKey(("project", "pa")));
        Assert.True(bob.ConfirmedSnapshot().ContainsKey(("team", "ta")));
        long head = await ServerTruth.HeadAsync(bobApi);
        await ClientHarness.EventuallyAsync(() => bob.LastSyncId == head, "bob reaches the head after joining");
        await ServerTruth.AssertConfirmedEqualsServerAsync(bob, bobApi);
        Assert.DoesNotContain(ClientStatus.Bootstrapping, statuses);

        // Bob's own work on his team waits (its pushes are held) while he is removed from alice's.
        pushes.Hold();
        await bob.MutateAsync("createIssue", new { id = "mine-1", projectId = "pb", title = "Bob's pending" });
        await bob.MutateAsync("updateIssue", new { id = "mine-1", status = "doing" });
        Assert.Equal(2, bob.PendingCount);
        statuses.Clear();

        await alice.RunAsync("removeMember", new { teamId = "ta", userId = "bob" });
        await ClientHarness.EventuallyAsync(
            () => bob.Issue("before-bob") is null && !bob.ConfirmedSnapshot().Keys.Any(k => k is ("team", "ta") or ("project", "pa") or ("issue", "before-bob")),
            "the team's records leave bob's client");
        Assert.Contains(ClientStatus.Bootstrapping, statuses);
        Assert.Equal(2, bob.PendingCount);
        Assert.Equal("doing", bob.Issue("mine-1")?.Status);
        Assert.True(bob.ConfirmedSnapshot().ContainsKey(("project", "pb")));

        pushes.Release();
        await ClientHarness.EventuallyAsync(() => bob.PendingCount == 0, "bob's pending mutations are delivered");
        head = await ServerTruth.HeadAsync(bobApi);
        await ClientHarness.EventuallyAsync(() => bob.LastSyncId == head, "bob reaches the head");
        await ServerTruth.AssertConfirmedEqualsServerAsync(bob, bobApi);
        Assert.Equal("doing", bob.Issue("mine-1")?.Status);
        Assert.Null(bob.Issue("before-bob"));
    }

    /// <summary>Holds push requests (before they reach the server) between <see cref="Hold"/> and <see cref="Release"/>.</summary>
    private sealed class HeldPushes() : DelegatingHandler(new SocketsHttpHandler())
    {
        private volatile TaskCompletionSource _open = Opened();

        public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _open.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/push", StringComparison.Ordinal))
            {
                await _open.Task.WaitAsync(cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }
}
