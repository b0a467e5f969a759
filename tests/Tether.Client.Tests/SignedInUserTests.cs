using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>Local data belongs to the user who signed in when it was written: another user signing in on the same
/// device never sees it, and never sends its queue.</summary>
public sealed class SignedInUserTests
{
    [Fact]
    public async Task Another_user_signing_in_on_the_same_store_starts_empty_with_a_new_clientId_and_the_first_users_queue_is_never_sent()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        var device = new InMemoryLocalStore();
        string alicesClientId;
        using (var noPushes = new HoldPushes())
        {
            await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", device, o => o.HttpHandler = noPushes);
            using SyncApi api = server.Api("alice");
            await new Seed(api, "setup").TeamWithProjectAsync("t1", "p1");
            await ClientHarness.EventuallyAsync(() => alice.Query("project", TestJson.Default.Issue).Current.Count == 1, "alice holds her project");
            // Never sent: pushes are held until the client goes.
            await alice.MutateAsync("createIssue", new { id = "unsent", projectId = "p1", title = "Alice's draft" });
            Assert.Equal(1, alice.PendingCount);
            alicesClientId = (await device.LoadAsync(TestContext.Current.CancellationToken)).Metadata.ClientId!;
        }
        LocalSnapshot left = await device.LoadAsync(TestContext.Current.CancellationToken);
        Assert.NotEmpty(left.Records);
        Assert.Single(left.Pending);

        await using TetherClient bob = await ClientHarness.StartAsync(server, "bob", device);

        // Nothing of alice's shows, before or after bob's client reaches the server.
        Assert.Null(bob.Issue("unsent"));
        Assert.Empty(bob.Query("project", TestJson.Default.Issue).Current);
        Assert.Equal(0, bob.PendingCount);
        LocalSnapshot now = await device.LoadAsync(TestContext.Current.CancellationToken);
        Assert.Equal("bob", now.Metadata.UserId);
        Assert.NotEqual(alicesClientId, now.Metadata.ClientId);
        Assert.Empty(now.Pending);
        Assert.DoesNotContain(now.Records, r => r.ModelName is "team" or "project");
        await ClientHarness.EventuallyAsync(() => bob.Status == ClientStatus.Live, "bob is live");
        Assert.Empty(bob.ConfirmedSnapshot());
        using SyncApi alicesView = server.Api("alice");
        Assert.DoesNotContain(await alicesView.AllActionsAsync(), a => a.GetProperty("modelId").GetString() == "unsent");
    }

    /// <summary>Holds every push until the client gives up on it.</summary>
    private sealed class HoldPushes() : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/push", StringComparison.Ordinal))
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
