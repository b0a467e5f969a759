using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using Tether.TestHost;

namespace Tether.Server.Tests;

public sealed class LiveLimitsTests
{
    [Fact]
    public async Task WebSocket_message_over_the_size_limit_gets_payload_too_large_and_a_close()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBodyBytes = 20_000 });
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        string huge = "{\"type\":\"push\",\"requestId\":\"r1\",\"clientId\":\"c1\",\"mutations\":[],\"pad\":\"" + new string('x', 100_000) + "\"}";
        await live.Socket.SendAsync(Encoding.UTF8.GetBytes(huge), WebSocketMessageType.Text, true, CancellationToken.None);

        JsonElement error = await live.ExpectAsync("error");
        Assert.Equal("payload_too_large", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(await live.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task A_message_sent_in_fragments_is_read_whole()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");
        byte[] ping = Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"pad\":\"" + new string('x', 20_000) + "\"}");

        for (int start = 0; start < ping.Length; start += 7_000)
        {
            int length = Math.Min(7_000, ping.Length - start);
            await live.Socket.SendAsync(ping.AsMemory(start, length), WebSocketMessageType.Text, endOfMessage: start + length == ping.Length, CancellationToken.None);
        }

        await live.ExpectAsync("pong");
    }

    [Fact]
    public async Task A_message_over_the_size_limit_in_fragments_each_under_it_gets_payload_too_large_and_a_close()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBodyBytes = 20_000 });
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");
        byte[] fragment = Encoding.UTF8.GetBytes(new string(' ', 8_000));

        for (int i = 0; i < 3; i++)
        {
            await live.Socket.SendAsync(fragment, WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        }

        JsonElement error = await live.ExpectAsync("error");
        Assert.Equal("payload_too_large", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Null(await live.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task Reader_that_stops_reading_is_disconnected_instead_of_buffered_without_bound()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.LiveQueueCapacity = 2; o.Limits.RequestsPerSecond = 0; } });
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "writer");
        await seed.TeamWithProjectAsync("t1", "p1");
        await using LiveClient slow = await LiveClient.ConnectAsync(server, "alice");
        await slow.ExpectAsync("handshake");

        // Large actions, committed one by one, until the socket's buffers are full and the queue overflows.
        string description = new('d', 9_000);
        long health;
        int pushed = 0;
        do
        {
            await seed.RunAsync("createIssue", new { id = $"i{pushed++}", projectId = "p1", title = "t", description });
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            health = JsonDocument.Parse(await http.GetStringAsync("/sync/health")).RootElement.GetProperty("subscribers").GetInt64();
        }
        while (health > 0 && pushed < 5_000);

        Assert.Equal(0, health);
        // What was buffered before the cut is readable, then the connection ends instead of continuing.
        int frames = 0;
        try
        {
            while (await slow.ReceiveAsync(TimeSpan.FromSeconds(10)) is not null)
            {
                frames++;
            }
        }
        catch (WebSocketException)
        {
            // The server abandoned the blocked send, which aborts the connection: the end this test expects.
        }
        Assert.True(slow.Socket.State is WebSocketState.Closed or WebSocketState.Aborted or WebSocketState.CloseReceived, $"socket is {slow.Socket.State}");
        Assert.True(frames < pushed, $"the slow reader received {frames} frames of {pushed} commits");
        if (slow.Socket.State is not WebSocketState.Aborted)
        {
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.Socket.CloseStatus);
        }
    }

    [Fact]
    public async Task A_connection_whose_queue_overflows_is_closed_with_1008_and_told_to_resume_with_delta()
    {
        var resolver = new HeldResolver("slow");
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = o => { o.Limits.LiveQueueCapacity = 2; o.Limits.RequestsPerSecond = 0; },
            Builder = tether => tether.Services.Replace(ServiceDescriptor.Singleton<ISyncGroupResolver>(resolver)),
        });
        using var meters = new ServerMeters(server);
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "writer");
        await seed.TeamAsync("t1");
        await using LiveClient slow = await LiveClient.ConnectAsync(server, "slow");
        await slow.ExpectAsync("handshake");

        // Slow's connection resolves slow's groups again when they change, and is held there: it takes nothing more
        // from its queue, while the socket itself stays free (a send blocked on a full socket would be aborted).
        resolver.Hold();
        await seed.MemberAsync("t1", "slow");
        await resolver.Entered;
        int commits = 0;
        while (meters.Sum("tether.server.slow_readers") == 0)
        {
            Assert.True(++commits <= 100, "the held connection's queue never overflowed");
            await seed.ProjectAsync("p" + commits, "t1");
        }

        while (await slow.ReceiveAsync() is not null)
        {
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.Socket.CloseStatus);
        Assert.Equal("slow reader: resume with delta", slow.Socket.CloseStatusDescription);
        Assert.Equal(1, meters.Sum("tether.server.slow_readers"));
    }

    /// <summary>The test model's groups; once <see cref="Hold"/> is called, resolving one user's groups waits until
    /// the caller gives up.</summary>
    private sealed class HeldResolver(string heldUser) : ISyncGroupResolver
    {
        private readonly TestGroupResolver _inner = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _holding;

        public Task Entered => _entered.Task;

        public void Hold() => _holding = true;

        public async ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
        {
            if (_holding && userId == heldUser)
            {
                _entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return await _inner.ResolveAsync(userId, records, cancellationToken);
        }
    }
}
