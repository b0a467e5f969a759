using Tether.Client.Internal;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary><see cref="TetherClient.SetNetworkAvailable"/>: the app's word on connectivity beats the timeouts and the
/// backoff, which are set to ten minutes here so only the network signal can explain what happens.</summary>
public sealed class NetworkAvailabilityTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Losing_the_network_drops_the_live_connection_at_once_and_regaining_it_syncs_without_waiting_for_the_backoff()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");
        await new Seed(api, "setup").TeamWithProjectAsync("t1", "p1");
        var channels = new List<ObservedChannel>();
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o =>
        {
            o.LiveSilenceTimeout = Long;
            o.MinRetryDelay = Long;
            o.MaxRetryDelay = Long;
            o.WrapLiveChannel = inner =>
            {
                var channel = new ObservedChannel(inner);
                lock (channels)
                {
                    channels.Add(channel);
                }
                return channel;
            };
        });
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live");

        alice.SetNetworkAvailable(false);

        Assert.False(alice.IsNetworkAvailable);
        Assert.Equal(ClientStatus.Offline, alice.Status);
        await ClientHarness.EventuallyAsync(() => channels.Single().Disposed, "the live connection is closed without waiting for its silence timeout");
        MutationHandle offline = await alice.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Written offline" });
        Assert.Equal("Written offline", alice.Issue("i1")?.Title);
        Assert.Equal(1, alice.PendingCount);
        Assert.Equal(ClientStatus.Offline, alice.Status);

        alice.SetNetworkAvailable(true);

        // With a ten-minute backoff, only the network signal can have started these attempts.
        await offline.Confirmed.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live again");
        Assert.Equal(2, channels.Count);
        Assert.Single(await api.AllActionsAsync(), a => a.GetProperty("modelId").GetString() == "i1");
    }

    [Fact]
    public async Task A_client_started_without_a_network_makes_no_request_until_told_it_has_one()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        var requests = new CountedRequests();
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o =>
        {
            o.NetworkAvailable = false;
            o.HttpHandler = requests;
        });

        Assert.Equal(ClientStatus.Offline, alice.Status);
        MutationHandle offline = await alice.MutateAsync("createTeam", new { id = "t1", name = "Made offline" });
        // Left running for a while: a loop that did not wait for the network would have asked for a bootstrap and a
        // push at once.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        Assert.Equal(0, requests.Count);
        Assert.Equal(ClientStatus.Offline, alice.Status);

        alice.SetNetworkAvailable(true);

        await offline.Confirmed.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live");
        Assert.True(requests.Count > 0);
    }

    [Fact]
    public async Task Saying_the_same_network_state_twice_changes_nothing()
    {
        var gate = new NetworkGate(available: true);
        CancellationToken first = await gate.WaitAvailableAsync(CancellationToken.None);

        Assert.False(gate.Set(true));
        Assert.False(first.IsCancellationRequested);
        Assert.True(gate.Set(false));
        Assert.True(first.IsCancellationRequested);
        Task<CancellationToken> waiting = gate.WaitAvailableAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        Assert.False(gate.Set(false));
        Assert.False(waiting.IsCompleted);
        Assert.True(gate.Set(true));
        CancellationToken second = await waiting;
        Assert.False(second.IsCancellationRequested);
    }

    private sealed class ObservedChannel(ILiveChannel inner) : ILiveChannel
    {
        public bool Disposed { get; private set; }

        public ValueTask<System.Text.Json.JsonElement?> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            Disposed = true;
        }
    }
}

internal sealed class CountedRequests() : DelegatingHandler(new SocketsHttpHandler())
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}
