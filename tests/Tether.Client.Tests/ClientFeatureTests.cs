using System.Net;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

public sealed class ClientFeatureTests
{
    [Fact]
    public async Task Auto_transport_falls_back_to_server_sent_events_when_a_WebSocket_cannot_be_opened()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using var noUpgrades = new RefuseWebSocketUpgrades();
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o => o.HttpHandler = noUpgrades);
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live");
        await using TetherClient other = await ClientHarness.StartAsync(server, "alice");
        await (await other.MutateAsync("createTeam", new { id = "t1", name = "T" })).Confirmed;
        await (await other.MutateAsync("createProject", new { id = "p1", teamId = "t1", name = "P" })).Confirmed;

        await (await other.MutateAsync("createIssue", new { id = "i1", projectId = "p1", title = "Over SSE" })).Confirmed;

        await ClientHarness.EventuallyAsync(() => alice.Issue("i1") is not null, "the issue reaches alice live");
        Assert.True(noUpgrades.Refused > 0, "a WebSocket was tried and refused");
        Assert.True(noUpgrades.EventStreams > 0, "the live stream came over /sync/events");
    }

    [Fact]
    public async Task A_large_catch_up_notifies_a_live_query_once_per_delta_page_not_per_action()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using SyncApi api = server.Api("alice");
        var seed = new Seed(api, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        var store = new InMemoryLocalStore();
        await using (TetherClient first = await ClientHarness.StartAsync(server, "alice", store))
        {
            await ClientHarness.EventuallyAsync(() => first.Status == ClientStatus.Live, "the first run is live");
        }
        // While the client is away: 2,000 issues in two pushes.
        for (int push = 0; push < 2; push++)
        {
            await api.PushAsync("bulk", [.. Enumerable.Range(push * 1_000 + 1, 1_000).Select(i => SyncApi.M(i, "createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }))]);
        }
        int notifications = 0;
        using var gate = new HoldRequests("/delta");

        // The catch-up waits at the gate until the query listens, so every notification is counted.
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", store, o => o.HttpHandler = gate);
        using ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        issues.Changed += (_, _) => Interlocked.Increment(ref notifications);
        gate.Open();
        // Current changes before Changed is raised, so the handler of the last page may still be running when the
        // count is seen: wait for the notification too (the test read 0 notifications in between, now and then).
        await ClientHarness.EventuallyAsync(() => issues.Current.Count == 2_000 && Volatile.Read(ref notifications) > 0, "the catch-up brings all 2,000 issues");

        // The delta answers in pages of up to 5,000 actions: one or two frames, not 2,000 notifications.
        Assert.InRange(Volatile.Read(ref notifications), 1, 2);
    }

    [Fact]
    public async Task Bootstrap_reports_progress_and_live_queries_are_observable()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.BootstrapPageSize = 10 });
        using SyncApi api = server.Api("alice");
        var seed = new Seed(api, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await api.PushAsync("bulk", [.. Enumerable.Range(1, 50).Select(i => SyncApi.M(i, "createIssue", new { id = $"i{i}", projectId = "p1", title = $"Issue {i}" }))]);
        var progress = new List<long>();
        using var gate = new HoldRequests("/bootstrap");

        // The bootstrap waits at the gate until the handler is attached, so every report is seen.
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o => o.HttpHandler = gate);
        alice.BootstrapProgress += (_, rows) => { lock (progress) { progress.Add(rows); } };
        gate.Open();
        using ILiveQuery<Issue> issues = alice.Query("issue", TestJson.Default.Issue);
        var seen = new List<int>();
        using IDisposable subscription = issues.Subscribe(new Observer(list => { lock (seen) { seen.Add(list.Count); } }));
        // Current changes before observers are called: wait for the observer too, not only for the data.
        await ClientHarness.EventuallyAsync(() => issues.Current.Count == 50 && LastSeen(seen) == 50, "all issues arrive and are observed");
        lock (progress)
        {
            // Team, member, project and 50 issues, in pages of 10: the count grows to 53.
            Assert.True(progress.Count >= 5, $"{progress.Count} progress reports");
            Assert.Equal(progress.Order(), progress);
            Assert.Equal(53, progress[^1]);
        }
    }

    [Fact]
    public async Task The_pending_count_is_reported_when_mutations_are_queued_and_confirmed()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice");
        var counts = new List<int>();
        alice.PendingCountChanged += (_, count) => { lock (counts) { counts.Add(count); } };

        await (await alice.MutateAsync("createTeam", new { id = "t1", name = "T" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        await ClientHarness.EventuallyAsync(() => { lock (counts) { return counts.Count >= 2; } }, "queued and confirmed are both reported");
        lock (counts)
        {
            Assert.Equal([1, 0], counts);
        }
    }

    private static int LastSeen(List<int> seen)
    {
        lock (seen)
        {
            return seen.Count == 0 ? -1 : seen[^1];
        }
    }

    private sealed class Observer(Action<IReadOnlyList<Issue>> next) : IObserver<IReadOnlyList<Issue>>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) => throw error;
        public void OnNext(IReadOnlyList<Issue> value) => next(value);
    }

    /// <summary>Holds the requests whose path ends with <paramref name="pathEnd"/> until <see cref="Open"/>.</summary>
    private sealed class HoldRequests(string pathEnd) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith(pathEnd, StringComparison.Ordinal))
            {
                await _open.Task.WaitAsync(cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A proxy that answers every WebSocket upgrade with 403, as some corporate proxies do.</summary>
    private sealed class RefuseWebSocketUpgrades() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _refused;
        private int _eventStreams;

        public int Refused => Volatile.Read(ref _refused);
        public int EventStreams => Volatile.Read(ref _eventStreams);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Upgrade.Count > 0 || request.Headers.Contains("Sec-WebSocket-Key") || request.Headers.Contains("Sec-WebSocket-Version"))
            {
                Interlocked.Increment(ref _refused);
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden) { RequestMessage = request });
            }
            if (request.RequestUri!.AbsolutePath.EndsWith("/events", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _eventStreams);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}
