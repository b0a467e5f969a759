using Microsoft.Extensions.DependencyInjection;
using Tether.Server;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>
/// <see cref="TetherServerOptions.Retention"/> on a running server, on SQLite and on PostgreSQL: the log is compacted
/// behind live clients without disturbing them, and a client that was offline past the new horizon bootstraps again
/// and still sends the mutations it made offline.
/// </summary>
public sealed class LogRetentionTests
{
    private static readonly TimeSpan Often = TimeSpan.FromMilliseconds(100);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_offline_past_the_kept_actions_bootstraps_again_and_keeps_its_pending_mutation(bool onPostgres)
    {
        await using TestServer server = await TestServer.StartAsync(Settings(onPostgres, o => o.Retention = new TetherRetention { KeepFor = null, KeepActions = 3, Interval = Often }));
        using SyncApi api = server.Api("alice");
        var seed = new Seed(api, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        await using TetherClient live = await ClientHarness.StartAsync(server, "alice");
        await using TetherClient traveller = await ClientHarness.StartAsync(server, "alice");
        await ClientHarness.EventuallyAsync(() => live.Status == ClientStatus.Live && traveller.Status == ClientStatus.Live, "both clients are live");

        traveller.SetNetworkAvailable(false);
        MutationHandle offline = await traveller.MutateAsync("createIssue", new { id = "offline", projectId = "p1", title = "Written offline" });
        long head = 0;
        for (int i = 0; i < 10; i++)
        {
            head = await seed.IssueAsync($"i{i}", "p1");
        }
        await ClientHarness.EventuallyAsync(() => HorizonAsync(server).Result == head - 3, "retention keeps the last 3 actions");
        Assert.Equal(ClientStatus.Live, live.Status);
        Assert.NotNull(live.Issue("i9"));

        traveller.SetNetworkAvailable(true);

        await offline.Confirmed.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await ClientHarness.EventuallyAsync(() => traveller.Status == ClientStatus.Live && traveller.Issue("i0") is not null, "the traveller bootstrapped again");
        await ClientHarness.EventuallyAsync(() => live.Issue("offline") is not null, "the live client got the offline edit");
        Assert.Equal("Written offline", traveller.Issue("offline")?.Title);
        Assert.Equal(0, traveller.PendingCount);
        Assert.Equal(ClientStatus.Live, live.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Retention_by_age_compacts_the_actions_older_than_it_keeps_and_only_those(bool onPostgres)
    {
        TimeSpan keepFor = TimeSpan.FromHours(1);
        var clock = new SetClock(DateTimeOffset.UtcNow);
        await using TestServer server = await TestServer.StartAsync(Settings(onPostgres,
            o => o.Retention = new TetherRetention { KeepFor = keepFor, KeepActions = null, Interval = Often },
            services => services.AddSingleton<TimeProvider>(clock)));
        using SyncApi api = server.Api("alice");
        var seed = new Seed(api, "setup");
        await seed.TeamWithProjectAsync("t1", "p1");
        long old = await seed.IssueAsync("old", "p1");
        DateTimeOffset between = DateTimeOffset.UtcNow;
        // The clock moves on before the next commit, so no commit shares the instant that divides them.
        await Task.Delay(50, TestContext.Current.CancellationToken);
        long recent = await seed.IssueAsync("recent", "p1");
        Assert.Equal(0, await HorizonAsync(server));

        clock.Now = between + keepFor;

        await ClientHarness.EventuallyAsync(() => HorizonAsync(server).Result == old, "retention compacts the actions older than an hour");
        using HttpResponseMessage delta = await api.Http.GetAsync(SyncApi.DeltaUrl(old), TestContext.Current.CancellationToken);
        Assert.True(delta.IsSuccessStatusCode, "the recent action is still in the log");
        Assert.Contains((await api.AllActionsAsync(old)), a => a.GetProperty("syncId").GetInt64() == recent);
    }

    private static TestServerSettings Settings(bool onPostgres, Action<TetherServerOptions> retention, Action<IServiceCollection>? services = null) => ClientHarness.ServerSettings with
    {
        OnPostgres = onPostgres,
        Tether = retention,
        Builder = b =>
        {
            ClientHarness.ServerSettings.Builder?.Invoke(b);
            services?.Invoke(b.Services);
        },
    };

    private static async Task<long> HorizonAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginLogReadAsync(CancellationToken.None);
        return snapshot.Horizon;
    }

    private sealed class SetClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
