using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>Found by the convergence property: a delete action has no <c>data</c>, and the protocol types read
/// every constructor parameter as required, so the first delete in a frame or delta made every client of the
/// team fail to read it and retry for ever, never passing it.</summary>
public sealed class A_delete_action_without_data_was_unreadable_for_every_client
{
    [Fact]
    public async Task A_delete_action_without_data_is_applied_by_every_client_live_and_by_delta()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");
        var seed = new Seed(api, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.MemberAsync("t1", "bob");
        await seed.IssueAsync("i1", "p1");
        var carolsDevice = new InMemoryLocalStore();
        await seed.MemberAsync("t1", "carol");
        await using (TetherClient before = await ClientHarness.StartAsync(server, "carol", carolsDevice))
        {
            await ClientHarness.EventuallyAsync(() => before.Issue("i1") is not null, "carol's device holds the issue");
        }
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        await using TetherClient bob = await ClientHarness.StartAsync(server, "bob");
        // Both must hold the issue: alice's delete runs on her local data first.
        await ClientHarness.EventuallyAsync(() => bob.Status == ClientStatus.Live && bob.Issue("i1") is not null && alice.Issue("i1") is not null, "both clients hold the issue");

        long deleted = await (await alice.MutateAsync("deleteIssue", new { id = "i1" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        // Bob gets the delete live; carol's device, started again now, gets it by delta from its stored position.
        await ClientHarness.EventuallyAsync(() => bob.LastSyncId >= deleted, "bob passes the delete");
        Assert.Null(bob.Issue("i1"));
        Assert.Null(alice.Issue("i1"));
        Assert.Equal(0, alice.PendingCount);
        using var requests = new RequestLog();
        await using TetherClient carol = await ClientHarness.StartAsync(server, "carol", carolsDevice, o => o.HttpHandler = requests);
        await ClientHarness.EventuallyAsync(() => carol.LastSyncId >= deleted || carol.Status == ClientStatus.Failed, "carol's device passes the delete");
        Assert.NotEqual(ClientStatus.Failed, carol.Status);
        Assert.Null(carol.Issue("i1"));
        // A bootstrap would leave the issue out without reading the delete at all.
        Assert.DoesNotContain(requests.Paths, path => path.EndsWith("/bootstrap", StringComparison.Ordinal));
    }

    /// <summary>Records the path of every HTTP request a client sends.</summary>
    private sealed class RequestLog() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly List<string> _paths = [];

        public string[] Paths
        {
            get
            {
                lock (_paths)
                {
                    return [.. _paths];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_paths)
            {
                _paths.Add(request.RequestUri!.AbsolutePath);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
