using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

public sealed class OrderingTests
{
    private static readonly TimeSpan ReaderTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Live_SSE_and_long_poll_readers_each_receive_exactly_the_log_in_order_while_many_clients_write_concurrently()
    {
        // Short heartbeats keep every reader moving, so a reader that has everything notices the target without waiting long.
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(300) });
        using SyncApi alice = server.Api("alice");
        // The readers start after the setup (whose createTeam changes alice's groups): only sync frames follow.
        await FanoutProbe.WaitForAsync(server, await new Seed(alice, "setup").TeamWithProjectAsync("t1", "p1"));

        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice", "reader");
        long liveStart = (await live.ExpectAsync("handshake")).LastSyncId();
        // The SSE reader starts from 0, so its stream is the server's own catch-up followed by live frames.
        await using SseClient sse = await SseClient.ConnectAsync(alice, "?from=0");
        (long sseHandshakeId, JsonElement sseHandshake) = await sse.ReceiveAsync();
        Assert.Equal("handshake", sseHandshake.Type());
        // A catch-up follows, so the handshake's event id stays at the resume point.
        Assert.Equal(0, sseHandshakeId);
        long pollStart = await alice.HeadAsync();

        var target = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<List<JsonElement>> liveReader = ReadLiveAsync(live, liveStart, target.Task);
        Task<List<(long Id, JsonElement Data)>> sseReader = ReadSseAsync(sse, target.Task);
        Task<List<JsonElement>> pollReader = ReadPollAsync(alice, pollStart, target.Task);

        const int writers = 4, perWriter = 25;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 1; i <= perWriter; i++)
            {
                // Every other mutation changes the issue the previous one created, so the log mixes inserts and updates.
                object args = i % 2 == 1
                    ? new { id = $"i{w}-{i}", projectId = "p1", title = $"issue {w}-{i}" }
                    : new { id = $"i{w}-{i - 1}", title = $"renamed {w}-{i}" };
                await alice.ApplyAsync($"w{w}", i, i % 2 == 1 ? "createIssue" : "updateIssue", args);
            }
        }, TestContext.Current.CancellationToken)));
        long head = await alice.HeadAsync();
        target.SetResult(head);

        List<JsonElement> liveFrames = await liveReader.WaitAsync(ReaderTimeout, TestContext.Current.CancellationToken);
        List<(long Id, JsonElement Data)> sseEvents = await sseReader.WaitAsync(ReaderTimeout, TestContext.Current.CancellationToken);
        List<JsonElement> pollPages = await pollReader.WaitAsync(ReaderTimeout, TestContext.Current.CancellationToken);

        List<JsonElement> written = await alice.AllActionsAsync(pollStart);
        Assert.Equal(writers * perWriter, written.Count);

        // Live: frames chain from the handshake and carry exactly the log after it.
        Assert.All(liveFrames, f => Assert.Equal("sync", f.Type()));
        Frames.AssertChained(liveStart, liveFrames);
        Assert.Equal(head, liveFrames[^1].LastSyncId());
        Assert.Equal(Frames.Texts(await alice.AllActionsAsync(liveStart)), Frames.Texts(Frames.ActionsOf(liveFrames)));

        // SSE: each event's id is its lastSyncId; catch-up from 0 and live frames together are the whole log.
        JsonElement[] sseFrames = [.. sseEvents.Select(e => e.Data)];
        Assert.All(sseEvents, e => Assert.Equal(e.Data.LastSyncId(), e.Id));
        Assert.All(sseFrames, f => Assert.Equal("sync", f.Type()));
        Frames.AssertChained(0, sseFrames);
        Assert.Equal(head, sseFrames[^1].LastSyncId());
        Assert.Equal(Frames.Texts(await alice.AllActionsAsync(0)), Frames.Texts(Frames.ActionsOf(sseFrames)));

        // Long poll: the answers, read one after the other, chain like sync frames.
        Frames.AssertChained(pollStart, pollPages);
        Assert.Equal(head, pollPages[^1].LastSyncId());
        Assert.Equal(Frames.Texts(written), Frames.Texts(pollPages.SelectMany(p => p.Actions())));
    }

    private static async Task<List<JsonElement>> ReadLiveAsync(LiveClient live, long start, Task<long> target)
    {
        var frames = new List<JsonElement>();
        long last = start;
        while (!(target.IsCompleted && last >= target.Result))
        {
            JsonElement? frame = await live.ReceiveAsync();
            Assert.True(frame is not null, "the live socket closed");
            frames.Add(frame.Value);
            if (frame.Value.Type() == "sync")
            {
                last = frame.Value.LastSyncId();
            }
        }
        return frames;
    }

    private static async Task<List<(long Id, JsonElement Data)>> ReadSseAsync(SseClient sse, Task<long> target)
    {
        var events = new List<(long, JsonElement)>();
        long last = -1;
        while (!(target.IsCompleted && last >= target.Result))
        {
            (long id, JsonElement data) = await sse.ReceiveAsync();
            events.Add((id, data));
            if (data.Type() == "sync")
            {
                last = data.LastSyncId();
            }
        }
        return events;
    }

    private static async Task<List<JsonElement>> ReadPollAsync(SyncApi api, long start, Task<long> target)
    {
        var pages = new List<JsonElement>();
        long last = start;
        while (!(target.IsCompleted && last >= target.Result))
        {
            JsonElement page = await api.PollAsync(last, 1_000);
            JsonElement frame = page;
            Assert.True(frame.Actions().Length > 0 || !page.GetProperty("hasMore").GetBoolean(), "an empty poll answer said hasMore");
            pages.Add(frame);
            last = page.LastSyncId();
        }
        return pages;
    }
}
