using System.Text.Json;
using Npgsql;
using Tether.Client;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// PostgreSQL itself stopped and started again while two nodes write through the sequencer: as a crash
/// (<c>pg_ctl stop -m immediate</c>, recovery at start, the slot back at its last checkpoint) and as an orderly
/// shutdown (<c>-m fast</c>, which waits for the sequencer's walsender to be released). The cluster is the test's own.
/// </summary>
public sealed class PostgreSqlRestartTests
{
    private const int PushersPerNode = 2;
    private const int MutationsPerPusher = 50;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("immediate")]
    [InlineData("fast")]
    public async Task A_PostgreSQL_restart_during_writes_loses_no_acknowledged_push_doubles_none_and_every_client_converges_on_the_log(string mode)
    {
        await using PrivateCluster cluster = await PrivateCluster.StartAsync();
        string connectionString = await cluster.CreateDatabaseAsync("tether_restart");
        var shared = new TestServerSettings { PostgresConnection = connectionString };
        await using TestServer nodeA = await TestServer.StartAsync(shared);
        await using TestServer nodeB = await TestServer.StartAsync(shared);
        using var seed = new SyncApi(nodeA.BaseAddress, "alice");
        await seed.ApplyAsync("seed", 1, "createTeam", new { id = "t1", name = "Core" });
        long start = await seed.ApplyAsync("seed", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" });

        await using TetherClient onA = await Clients.StartAsync(nodeA.BaseAddress, "alice");
        await using TetherClient onB = await Clients.StartAsync(nodeB.BaseAddress, "alice");
        await using ResumingEventReader sseA = ResumingEventReader.Start("alice", start, () => nodeA.BaseAddress);
        await using ResumingEventReader sseB = ResumingEventReader.Start("alice", start, () => nodeB.BaseAddress);
        Pusher[] pushers = [.. new[] { nodeA, nodeB }.SelectMany((node, n) => Enumerable.Range(0, PushersPerNode)
            .Select(i => new Pusher($"{n}-{i}", "p1", MutationsPerPusher, () => node.BaseAddress)))];
        Task pushing = Pusher.RunAllAsync(pushers, Bound * 2, () => cluster.ServerLog);
        await Eventually.HoldsAsync(() => pushers.All(p => p.AnsweredThrough >= 10), "every pusher had pushes answered", Bound);

        (TimeSpan stop, TimeSpan started) = await cluster.RestartAsync(mode);
        TestContext.Current.TestOutputHelper?.WriteLine($"pg_ctl stop -m {mode} took {stop.TotalMilliseconds:F0} ms, start {started.TotalMilliseconds:F0} ms");
        Assert.True(pushers.Any(p => p.AnsweredThrough < p.Count), "the restart came after every push was answered: it proves nothing");

        await pushing;
        foreach (Pusher pusher in pushers)
        {
            Assert.True(pusher.Problems.Count == 0, string.Join('\n', pusher.Problems));
            for (long id = 1; id <= pusher.Count; id++)
            {
                Assert.True(pusher.Answers.GetValueOrDefault(id) is "applied" or "duplicate", $"{pusher.ClientId} #{id} was answered '{pusher.Answers.GetValueOrDefault(id)}'");
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{pushers.Sum(p => p.Retries)} pushes sent again");

        // New pushes succeed on both nodes, and their health comes back.
        using var after = new SyncApi(nodeB.BaseAddress, "alice");
        await seed.ApplyAsync("after", 1, "createIssue", new { id = "after-a", projectId = "p1", title = "After, on A" });
        long head = await after.ApplyAsync("after", 2, "createIssue", new { id = "after-b", projectId = "p1", title = "After, on B" });
        foreach (TestServer node in new[] { nodeA, nodeB })
        {
            await Health.WaitUntilAsync(node, h => h.Status() == "Healthy", "the node reports healthy again");
        }

        await using var check = new NpgsqlConnection(connectionString);
        await check.OpenAsync(TestContext.Current.CancellationToken);
        Assert.Equal(head, await Sql.ScalarAsync<long>(check, "SELECT sync_id FROM tether_head"));
        Assert.Equal(head, await Sql.ScalarAsync<long>(check, "SELECT count(*) FROM tether_actions"));
        Assert.Equal(head, await Sql.ScalarAsync<long>(check, "SELECT coalesce(max(sync_id), 0) FROM tether_actions"));
        string[] inserted = [.. await Sql.ColumnAsync(check, "SELECT model_id FROM tether_actions WHERE model = 'issue' AND action = 'insert' ORDER BY model_id COLLATE \"C\"")];
        string[] expected = [.. pushers.SelectMany(p => Enumerable.Range(1, p.Count).Select(id => p.IssueId(id))).Append("after-a").Append("after-b").Order(StringComparer.Ordinal)];
        Assert.Equal(expected, inserted);

        List<JsonElement> log = await after.AllActionsAsync();
        Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i), log.Select(a => a.SyncId()));
        string[] fromStart = Frames.Texts(log.Where(a => a.SyncId() > start));
        foreach (ResumingEventReader sse in new[] { sseA, sseB })
        {
            await Eventually.HoldsAsync(() => sse.LastSyncId >= head || sse.Ended, $"an SSE reader reaches {head}", Bound);
            Assert.Equal(fromStart, Frames.Texts(sse.Actions));
        }
        await Eventually.HoldsAsync(() => onA.LastSyncId == head && onB.LastSyncId == head, "both live clients reach the head", Bound);
        Assert.Equal(onA.Snapshot(), onB.Snapshot());
        Assert.Equal(expected.Length, onA.Snapshot().Count(r => r.StartsWith("issue/", StringComparison.Ordinal)));
    }
}
