using System.Text.Json;
using Npgsql;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// The incumbents' bug: a transaction that commits after a later-started one was already read is never delivered.
/// Here a write transaction takes its transaction id first and is held open (a slow node) while pushes commit past it;
/// it is sequenced in commit order, after them, and every reader gets its action exactly once and in order.
/// </summary>
public sealed class LateCommitTests
{
    [Fact]
    public async Task A_transaction_held_open_across_other_pushes_reaches_delta_poll_live_SSE_and_bootstrap_once_and_in_order()
    {
        await using TestServer server = await Nodes.StartAsync();
        using SyncApi alice = server.Api("alice");
        long start = await new Seed(alice, "seed").TeamWithProjectAsync("t1", "p1");
        await FanoutProbe.WaitForAsync(server, start);
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        Assert.Equal(start, (await live.ExpectAsync("handshake")).LastSyncId());
        await using SseClient sse = await SseClient.ConnectAsync(alice, $"?from={start}");
        CancellationToken ct = TestContext.Current.CancellationToken;

        // The slow writer goes straight to the store, as another node's pipeline would, and takes its transaction id
        // before the pushes begin: it started first by every measure PostgreSQL has.
        ITetherWriteTransaction slow = await server.Store.BeginWriteAsync(ct);
        var slowConnection = (IStoreConnection)slow;
        await using (var xid = new NpgsqlCommand("SELECT pg_current_xact_id()", (NpgsqlConnection)slowConnection.Connection, (NpgsqlTransaction?)slowConnection.Transaction))
        {
            await xid.ExecuteScalarAsync(ct);
        }
        const string lateData = """{"id":"late","projectId":"p1","teamId":"t1","title":"Committed late","description":"","status":"todo"}""";
        long[] otherIds = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => alice.ApplyAsync($"other-{i}", 1, "createIssue", new { id = $"other-{i}", projectId = "p1", title = $"Other {i}" })));
        await FanoutProbe.WaitForAsync(server, otherIds.Max());

        CommittedBatch committed = await slow.CommitAsync(new WriteBatch
        {
            Records = [new RecordWrite("issue", "late", lateData, ["team:t1"])],
            Actions = [new LogEntry(0, "insert", "issue", "late", lateData, ["team:t1"], "slow-node", 1)],
        }, ct);
        await slow.DisposeAsync();
        long lateId = await committed.Sequenced;

        Assert.All(otherIds, id => Assert.True(id < lateId, $"a push committed before the slow transaction got syncId {id} >= {lateId}"));
        long head = lateId;
        long[] delta = [.. (await alice.AllActionsAsync(start)).Select(a => a.SyncId())];
        long[] poll = [.. (await PollAllAsync(alice, start, head)).Select(a => a.SyncId())];
        long[] streamed = [.. (await live.ReadUntilAsync(head)).Where(f => f.Type() == "sync").SelectMany(f => f.Actions()).Select(a => a.SyncId())];
        long[] sent = [.. (await sse.ReadUntilAsync(head)).Where(e => e.Data.IsSyncLike() && e.Data.TryGetProperty("sync", out _)).SelectMany(e => e.Data.Actions()).Select(a => a.SyncId())];
        foreach ((string reader, long[] ids) in new[] { ("delta", delta), ("poll", poll), ("live", streamed), ("sse", sent) })
        {
            Assert.True(ids.SequenceEqual(ids.Order().Distinct()), $"{reader} is not ascending without repeats: {string.Join(",", ids)}");
            Assert.Equal(1, ids.Count(id => id == lateId));
            Assert.Equal(delta, ids);
        }
        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
        Assert.True(bootstrap.FirstSyncId >= head);
        Assert.True(bootstrap.Rows.ContainsKey(("issue", "late")));
    }

    private static async Task<List<JsonElement>> PollAllAsync(SyncApi api, long from, long head)
    {
        var actions = new List<JsonElement>();
        while (from < head)
        {
            using HttpResponseMessage response = await api.Http.GetAsync($"/sync/poll?from={from}&timeoutMs=5000", TestContext.Current.CancellationToken);
            JsonElement frame = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
            actions.AddRange(frame.Actions());
            from = frame.LastSyncId();
        }
        return actions;
    }
}
