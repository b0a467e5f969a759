using Npgsql;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A bootstrap's snapshot of the records matches exactly one syncId, while writers commit on every node without a
/// shared lock and PostgreSQL makes their commits visible in its own order: a client that bootstraps and then follows
/// the log from the bootstrap's syncId holds, at each step, exactly what the log says; no action at the seam is
/// missed and none is applied twice.
/// </summary>
public sealed class SeamTests
{
    [Fact]
    public async Task Clients_bootstrapped_on_three_nodes_while_all_three_write_hold_exactly_the_log_at_every_step()
    {
        // Small pages keep each bootstrap open for longer, so commits land while it streams.
        var settings = new TestServerSettings { Tether = o => { o.Limits.BootstrapPageSize = 4; o.Limits.RequestsPerSecond = 0; } };
        await using TestServer a = await TestServer.StartAsync(settings with { OnPostgres = true });
        await using TestServer b = await TestServer.StartAsync(settings with { PostgresConnection = a.PostgresConnection });
        await using TestServer c = await TestServer.StartAsync(settings with { PostgresConnection = a.PostgresConnection });
        TestServer[] nodes = [a, b, c];
        using SyncApi setup = a.Api("alice");
        long firstXid = await NextXidAsync(a.PostgresConnection!);
        long start = await new Seed(setup, "setup").TeamWithProjectAsync("t1", "p1");

        const int writersPerNode = 2, rounds = 12;
        int unavailable = 0;
        Task writing = Task.WhenAll(nodes.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            using SyncApi api = node.Api("alice");
            var writer = new PersistentWriter(api, $"w{n}-{w}");
            for (int i = 0; i < rounds; i++)
            {
                string issue = $"i{n}-{w}-{i}";
                await writer.ApplyAsync("createIssue", new { id = issue, projectId = "p1", title = "first" });
                await writer.ApplyAsync("addComment", new { id = $"c{n}-{w}-{i}", issueId = issue, body = "a comment" });
                await (i % 2 == 0
                    ? writer.ApplyAsync("updateIssue", new { id = issue, title = "second", status = "doing" })
                    : writer.ApplyAsync("deleteIssue", new { id = issue }));
            }
            Interlocked.Add(ref unavailable, writer.Unavailable);
        }))));

        // Each client bootstraps on one node and follows the log by delta on the next one.
        var clients = new List<(LogReplay State, SyncApi Api, string Name)>();
        var positions = new List<long>();
        try
        {
            for (int k = 0; !writing.IsCompleted || clients.Count < 6; k++)
            {
                using SyncApi bootstrapApi = nodes[k % nodes.Length].Api("alice");
                BootstrapResult bootstrap = await bootstrapApi.BootstrapAsync(new { type = "eager" });
                string name = $"client {k} (bootstrapped on node {k % nodes.Length} at {bootstrap.FirstSyncId})";
                LogReplay atSeam = LogReplay.Empty();
                await atSeam.ApplyAsync(bootstrapApi, bootstrap.FirstSyncId, "the log");
                atSeam.AssertSame(bootstrap.Rows, name);
                positions.Add(bootstrap.FirstSyncId);
                clients.Add((LogReplay.Of(bootstrap), nodes[(k + 1) % nodes.Length].Api("alice"), name));
                foreach ((LogReplay state, SyncApi api, string client) in clients)
                {
                    await state.ApplyAsync(api, await api.HeadAsync(state.At), client);
                }
            }
            await writing;

            long head = await setup.HeadAsync();
            LogReplay log = LogReplay.Empty();
            await log.ApplyAsync(setup, head, "the log");
            foreach ((LogReplay state, SyncApi api, string name) in clients)
            {
                await state.ApplyAsync(api, head, name);
                log.AssertSame(state.Records, name);
            }
            Assert.Equal(writersPerNode * nodes.Length * rounds / 2, log.Records.Keys.Count(k => k.Model == "issue"));
            // The seam tells visible from invisible by the xids the sequencer logged: each must be its transaction's.
            long lastXid = await NextXidAsync(a.PostgresConnection!);
            await using (var connection = new NpgsqlConnection(a.PostgresConnection))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var outside = new NpgsqlCommand(
                    "SELECT coalesce(string_agg(xid::text, ', '), '') FROM tether_wal_transactions WHERE last_sync_id >= first_sync_id AND NOT xid BETWEEN @first AND @last", connection);
                outside.Parameters.AddWithValue("first", firstXid);
                outside.Parameters.AddWithValue("last", lastXid);
                Assert.Equal("", (string)(await outside.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
            }
            TestContext.Current.SendDiagnosticMessage($"{clients.Count} bootstraps at {string.Join(", ", positions)}; {unavailable} pushes answered 503 and sent again");
            Assert.True(positions.Count(p => p > start && p < head) >= 2, $"too few bootstraps overlapped the writes: at {string.Join(", ", positions)} between {start} and {head}");
        }
        finally
        {
            foreach ((_, SyncApi api, _) in clients)
            {
                api.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_snapshot_taken_while_a_committed_batch_waits_for_the_sequencer_is_placed_after_that_batch()
    {
        await using TestServer server = await Nodes.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "seed").TeamWithProjectAsync("t1", "p1");
        CancellationToken ct = TestContext.Current.CancellationToken;

        long before;
        CommittedBatch committed;
        Task<ITetherReadSnapshot> reading;
        await using (SequencerPause pause = await SequencerPause.StartAsync(server.PostgresConnection!))
        {
            before = await pause.HeadAsync();
            await using (ITetherWriteTransaction write = await server.Store.BeginWriteAsync(ct))
            {
                committed = await write.CommitAsync(Issue("seam"), ct);
            }
            reading = server.Store.BeginReadAsync(ct).AsTask();
            await pause.WaitForSeamMarkAsync();
            // The snapshot sees the batch's records while the log has none of its actions yet.
            Assert.Equal(before, await pause.HeadAsync());
            Assert.False(reading.IsCompleted, "the snapshot was placed before the sequencer wrote what it can see");
        }
        long sequenced = await committed.Sequenced.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using ITetherReadSnapshot snapshot = await reading.WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.True(await snapshot.GetRecordAsync("issue", "seam", ct) is not null, "the snapshot does not see the committed batch");
        Assert.Equal(sequenced, snapshot.Head);
        await AssertLogAsync(server.Store, snapshot.Head, sequenced, expectAfterHead: false);
    }

    [Fact]
    public async Task A_snapshot_taken_while_a_batch_is_open_and_placed_after_it_commits_is_placed_before_that_batch()
    {
        await using TestServer server = await Nodes.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "seed").TeamWithProjectAsync("t1", "p1");
        CancellationToken ct = TestContext.Current.CancellationToken;

        long before;
        CommittedBatch committed;
        Task<ITetherReadSnapshot> reading;
        await using (SequencerPause pause = await SequencerPause.StartAsync(server.PostgresConnection!))
        {
            before = await pause.HeadAsync();
            await using ITetherWriteTransaction write = await server.Store.BeginWriteAsync(ct);
            reading = server.Store.BeginReadAsync(ct).AsTask();
            await pause.WaitForSeamMarkAsync();
            committed = await write.CommitAsync(Issue("seam"), ct);
        }
        long sequenced = await committed.Sequenced.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using ITetherReadSnapshot snapshot = await reading.WaitAsync(TimeSpan.FromSeconds(30), ct);

        Assert.True(await snapshot.GetRecordAsync("issue", "seam", ct) is null, "the snapshot sees a batch that committed after it");
        Assert.Equal(before, snapshot.Head);
        await AssertLogAsync(server.Store, snapshot.Head, sequenced, expectAfterHead: true);
    }

    /// <summary>An xid (with its epoch) that a transaction starting now gets, or one after it.</summary>
    private static async Task<long> NextXidAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_current_xact_id()::text::bigint", connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Pushes one mutation at a time as a client does: a push answered 503 (the write kept losing conflicts
    /// to the other writers) is sent again with the same mutation id after a short backoff.</summary>
    private sealed class PersistentWriter(SyncApi api, string clientId)
    {
        private long _next = 1;

        public int Unavailable { get; private set; }

        public async Task ApplyAsync(string name, object args)
        {
            long id = _next++;
            for (int attempt = 1; ; attempt++)
            {
                using HttpResponseMessage response = await api.PushRawAsync(clientId, SyncApi.M(id, name, args));
                string body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && attempt < 20)
                {
                    Unavailable++;
                    await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt));
                    continue;
                }
                Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"push answered {(int)response.StatusCode}: {body}");
                using var answer = System.Text.Json.JsonDocument.Parse(body);
                Assert.Equal("applied", answer.RootElement.GetProperty("results")[0].GetProperty("status").GetString());
                return;
            }
        }
    }

    private static WriteBatch Issue(string id)
    {
        string data = $$"""{"id":"{{id}}","projectId":"p1","teamId":"t1","title":"At the seam","description":"","status":"todo"}""";
        return new WriteBatch
        {
            Records = [new RecordWrite("issue", id, data, ["team:t1"])],
            Actions = [new LogEntry(0, "insert", "issue", id, data, ["team:t1"], "store-test", 1)],
        };
    }

    /// <summary>The batch's action is in the log once: after the snapshot's head when the snapshot does not hold it
    /// (a delta from the head brings it), at or before the head when it does (a delta from the head repeats nothing).</summary>
    private static async Task AssertLogAsync(ITetherStore store, long head, long sequenced, bool expectAfterHead)
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using ITetherReadSnapshot log = await store.BeginLogReadAsync(ct);
        LogEntry seam = Assert.Single(await log.ReadLogAsync(0, log.Head, 10_000, ct), e => e.ModelId == "seam");
        Assert.Equal(sequenced, seam.SyncId);
        IReadOnlyList<LogEntry> delta = await log.ReadLogAsync(head, log.Head, 10_000, ct);
        Assert.Equal(expectAfterHead ? 1 : 0, delta.Count(e => e.ModelId == "seam"));
    }

    /// <summary>Holds the sequencer before it writes the log, by locking the head row it advances with every
    /// transaction; nothing is sequenced until it is disposed. Writers and snapshots do not lock that row.</summary>
    private sealed class SequencerPause : IAsyncDisposable
    {
        private readonly NpgsqlConnection _lock;
        private readonly NpgsqlTransaction _transaction;
        private readonly NpgsqlConnection _watch;

        private SequencerPause(NpgsqlConnection @lock, NpgsqlTransaction transaction, NpgsqlConnection watch)
        {
            _lock = @lock;
            _transaction = transaction;
            _watch = watch;
        }

        public static async Task<SequencerPause> StartAsync(string connectionString)
        {
            var @lock = new NpgsqlConnection(connectionString);
            var watch = new NpgsqlConnection(connectionString);
            await @lock.OpenAsync();
            await watch.OpenAsync();
            NpgsqlTransaction transaction = await @lock.BeginTransactionAsync();
            await using var command = new NpgsqlCommand("SELECT sync_id FROM tether_head FOR UPDATE", @lock, transaction);
            await command.ExecuteScalarAsync();
            return new SequencerPause(@lock, transaction, watch);
        }

        /// <summary>The head the log has now, read past the lock.</summary>
        public async Task<long> HeadAsync()
        {
            await using var command = new NpgsqlCommand("SELECT sync_id FROM tether_head", _watch);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        /// <summary>Waits until a snapshot of the seam has taken its visibility and WAL position and waits, its
        /// transaction open, for the sequencer.</summary>
        public async Task WaitForSeamMarkAsync()
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' " +
                "AND query LIKE 'SELECT pg_current_snapshot()%'", _watch);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while ((long)(await command.ExecuteScalarAsync(deadline.Token))! == 0)
            {
                await Task.Delay(10, deadline.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _transaction.RollbackAsync();
            await _transaction.DisposeAsync();
            await _lock.DisposeAsync();
            await _watch.DisposeAsync();
        }
    }
}
