using Microsoft.Extensions.DependencyInjection;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests.Interop;

/// <summary>Unmodified LiveStore 0.4.0 stores (Node, adapter-node with fs storage) syncing through the C# server.</summary>
public sealed class RealClientTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_stores_committing_concurrently_converge_on_every_event_once()
    {
        LiveStoreNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        using var data = new TempDirectory();
        string storeId = "todos-" + Guid.NewGuid().ToString("N");
        await using LiveStoreNodeClient a = await StartAsync(server, storeId, "client-a", data, "alice");
        await using LiveStoreNodeClient b = await StartAsync(server, storeId, "client-b", data, "bob");
        await using LiveStoreNodeClient c = await StartAsync(server, storeId, "client-c", data, "carol");

        await Task.WhenAll(a.CommitAsync("a", 120, batch: 7), b.CommitAsync("b", 120, batch: 1), c.CommitAsync("c", 60, batch: 30));

        IReadOnlyList<LiveStoreRow>[] rows = await Task.WhenAll(a.WaitForAsync(300, Converge), b.WaitForAsync(300, Converge), c.WaitForAsync(300, Converge));
        Assert.All(rows, r => Assert.Equal(300, r.Count));
        Assert.All(rows, r => Assert.Equal(rows[0].Select(x => x.Id), r.Select(x => x.Id)));
        Assert.Equal(300, rows[0].Select(r => r.Id).Distinct().Count());
        LiveStoreInfo store = (await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync()).Single(s => s.StoreId == storeId);
        Assert.Equal(300, store.Head);
    }

    [Fact]
    public async Task A_client_that_committed_offline_on_an_old_head_rebases_after_ServerAheadError_and_pushes()
    {
        LiveStoreNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        using var meters = new ServerMeters(server);
        using var data = new TempDirectory();
        string storeId = "offline-" + Guid.NewGuid().ToString("N");
        await using LiveStoreNodeClient online = await StartAsync(server, storeId, "client-online", data, "alice");
        // The offline client's server address has nobody listening: its events stay pending on the root.
        await using (LiveStoreNodeClient offline = await LiveStoreNodeClient.StartAsync(
            new Uri($"http://127.0.0.1:{ClosedPort()}/livestore"), LiveStoreNodeClient.WebSocketTransport, storeId, "client-offline", Path.Combine(data.Path, "client-offline"), "dev:bob"))
        {
            await offline.CommitAsync("offline", 5);
            await online.CommitAsync("online", 10);
            await online.WaitForAsync(10, Converge);
            await offline.ShutdownAsync();
        }

        // Back online through a proxy that holds the server's answers (not its Pongs, so the connection stays up): the
        // client cannot see the newer events before it pushes its own on the old head, so the push is answered
        // ServerAheadError; then the answers are let through.
        await using var proxy = new HeldAnswersProxy(server.BaseAddress.Port);
        Task released = ReleaseOnServerAheadAsync(meters, proxy);
        await using LiveStoreNodeClient back = await LiveStoreNodeClient.StartAsync(
            new Uri($"http://127.0.0.1:{proxy.Port}/livestore"), LiveStoreNodeClient.WebSocketTransport, storeId, "client-offline", Path.Combine(data.Path, "client-offline"), "dev:bob");
        await released;

        IReadOnlyList<LiveStoreRow> backRows = await back.WaitForAsync(15, Converge);
        IReadOnlyList<LiveStoreRow> onlineRows = await online.WaitForAsync(15, Converge);
        Assert.Equal(backRows.Select(r => r.Id), onlineRows.Select(r => r.Id));
        Assert.Equal(15, (await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync()).Single(s => s.StoreId == storeId).Head);
    }

    [Fact]
    public async Task A_store_reset_makes_its_clients_wipe_themselves_and_sync_the_new_log_from_scratch()
    {
        LiveStoreNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        using var data = new TempDirectory();
        string storeId = "reset-" + Guid.NewGuid().ToString("N");
        LiveStoreNodeClient first = await StartAsync(server, storeId, "client-a", data, "alice");
        try
        {
            await first.CommitAsync("before", 4);
            await first.WaitForAsync(4, Converge);
            await WaitForHeadAsync(server, storeId, 4);

            await server.Services.GetRequiredService<LiveStoreAdmin>().ResetStoreAsync(storeId);

            string reason = await first.ShutdownEvent.WaitAsync(Converge, TestContext.Current.CancellationToken);
            Assert.False(string.IsNullOrEmpty(reason));
        }
        finally
        {
            await first.DisposeAsync();
        }
        await using LiveStoreNodeClient again = await StartAsync(server, storeId, "client-a", data, "alice");
        await using LiveStoreNodeClient other = await StartAsync(server, storeId, "client-b", data, "bob");
        await again.CommitAsync("after", 3);

        IReadOnlyList<LiveStoreRow> rows = await other.WaitForAsync(3, Converge);
        Assert.All(rows, r => Assert.StartsWith("after", r.Id, StringComparison.Ordinal));
        Assert.Equal(3, (await again.RowsAsync()).Count);
    }

    [Fact]
    public async Task A_client_on_the_HTTP_transport_syncs_with_one_on_WebSocket()
    {
        LiveStoreNodeClient.RequireHarness();
        await using TestServer server = await TestServer.StartAsync();
        using var data = new TempDirectory();
        string storeId = "http-" + Guid.NewGuid().ToString("N");
        await using LiveStoreNodeClient ws = await StartAsync(server, storeId, "client-ws", data, "alice");
        await using LiveStoreNodeClient http = await StartAsync(server, storeId, "client-http", data, "bob", LiveStoreNodeClient.HttpTransport);

        await http.CommitAsync("http", 5);
        await ws.CommitAsync("ws", 5);

        IReadOnlyList<LiveStoreRow> overHttp = await http.WaitForAsync(10, Converge);
        IReadOnlyList<LiveStoreRow> overWs = await ws.WaitForAsync(10, Converge);
        Assert.Equal(overWs.Select(r => r.Id), overHttp.Select(r => r.Id));
    }

    [Fact]
    public async Task Clients_survive_a_server_restart_mid_stream_and_lose_nothing()
    {
        LiveStoreNodeClient.RequireHarness();
        TestServer server = await TestServer.StartAsync();
        using var data = new TempDirectory();
        string storeId = "restart-" + Guid.NewGuid().ToString("N");
        try
        {
            await using LiveStoreNodeClient a = await StartAsync(server, storeId, "client-a", data, "alice");
            await using LiveStoreNodeClient b = await StartAsync(server, storeId, "client-b", data, "bob");
            await a.CommitAsync("a1", 20, batch: 5);
            await b.WaitForAsync(20, Converge);

            server = await server.RestartAsync(async () =>
            {
                // Committed while the server is down: kept pending, pushed after the restart.
                await a.CommitAsync("a2", 10);
                await b.CommitAsync("b2", 10);
            });

            IReadOnlyList<LiveStoreRow>[] rows = await Task.WhenAll(a.WaitForAsync(40, Converge), b.WaitForAsync(40, Converge));
            Assert.Equal(rows[0].Select(r => r.Id), rows[1].Select(r => r.Id));
            Assert.Equal(40, rows[0].Count);
            await WaitForHeadAsync(server, storeId, 40);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static Task<LiveStoreNodeClient> StartAsync(TestServer server, string storeId, string clientId, TempDirectory data, string user, string transport = LiveStoreNodeClient.WebSocketTransport)
        => LiveStoreNodeClient.StartAsync(new Uri(server.BaseAddress, "livestore"), transport, storeId, clientId, Path.Combine(data.Path, clientId), "dev:" + user);

    /// <summary>The server's head reaches <paramref name="head"/> (its clients saw their events come back by then).</summary>
    private static async Task WaitForHeadAsync(TestServer server, string storeId, long head)
    {
        LiveStoreAdmin admin = server.Services.GetRequiredService<LiveStoreAdmin>();
        using var deadline = new CancellationTokenSource(Converge);
        while ((await admin.ListStoresAsync(deadline.Token)).SingleOrDefault(s => s.StoreId == storeId)?.Head != head)
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private static async Task ReleaseOnServerAheadAsync(ServerMeters meters, HeldAnswersProxy proxy)
    {
        await meters.WaitUntilAsync(m => m.Sum("tether.livestore.pushes", "outcome", "ServerAhead") >= 1, "the offline client's push is answered ServerAheadError");
        await proxy.ReleaseAsync();
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
