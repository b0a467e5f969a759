using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// Three nodes as real processes on one database; the one that leads the sequencer dies by SIGKILL while clients push
/// through it and through another node, either at a moment of free-running writes or deterministically between commit
/// and sequencing: there the test holds the row lock of <c>tether_head</c> from outside (as any long transaction
/// could), so the leader's round waits while writers of both nodes keep committing, and kills the leader once every
/// writer has a committed batch the log does not have yet. Then nothing may be lost or doubled, a survivor must take
/// over, and live readers (a reader of the dead node resuming on a survivor) must see exactly the log.
/// </summary>
public sealed class SequencerFailoverTests
{
    private const int PushersPerNode = 3;
    private const int MutationsPerPusher = 40;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    [Fact]
    public Task Kill_9_of_the_sequencers_node_between_commit_and_sequencing_loses_nothing_doubles_nothing_and_readers_on_the_survivors_see_exactly_the_log()
        => RunAsync(betweenCommitAndSequencing: true);

    [Fact]
    public Task Kill_9_of_the_sequencers_node_in_the_middle_of_free_running_writes_loses_nothing_doubles_nothing_and_readers_on_the_survivors_see_exactly_the_log()
        => RunAsync(betweenCommitAndSequencing: false);

    private static async Task RunAsync(bool betweenCommitAndSequencing)
    {
        await using PostgresDatabase database = await PostgresDatabase.CreateAsync();
        var nodes = new List<NodeProcess>();
        try
        {
            // The test holds the head's row while it waits for every pusher to have a batch in flight, which on a busy
            // machine can outlast the default 30 s command timeout; the leader's round must wait on it, not give up
            // the lead.
            string nodeConnection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = (int)Bound.TotalSeconds }.ConnectionString;
            foreach (string name in new[] { "a", "b", "c" })
            {
                // One after the other: the first makes the schema, the slot and the publication.
                nodes.Add(await NodeProcess.StartAsync(name, nodeConnection));
            }
            string Outputs() => string.Join('\n', nodes.Select(n => n.Output));

            (NodeProcess leader, long epoch) = await NodeProcess.LeaderAsync(database.ConnectionString, nodes, Bound, Outputs);
            NodeProcess[] survivors = [.. nodes.Where(n => n != leader)];
            NodeProcess writer = survivors[0];
            using var seed = new SyncApi(writer.BaseAddress, "alice");
            await seed.ApplyAsync("seed", 1, "createTeam", new { id = "t1", name = "Core" });
            long start = await seed.ApplyAsync("seed", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" });

            await using LiveClient liveB = await LiveClient.ConnectAsync(survivors[0].BaseAddress, "alice");
            await using LiveClient liveC = await LiveClient.ConnectAsync(survivors[1].BaseAddress, "alice");
            long liveBStart = (await liveB.ExpectAsync("handshake")).LastSyncId();
            long liveCStart = (await liveC.ExpectAsync("handshake")).LastSyncId();
            await using ResumingEventReader sseC = ResumingEventReader.Start("alice", start, () => survivors[1].BaseAddress);
            // A reader on the node that dies: it connects again, with its last event id, to a survivor.
            await using ResumingEventReader sseLeader = ResumingEventReader.Start("alice", start, () => leader.BaseAddress);

            Pusher[] throughLeader = [.. Enumerable.Range(0, PushersPerNode).Select(i => new Pusher($"leader-{i}", "p1", MutationsPerPusher, () => leader.BaseAddress))];
            Pusher[] throughWriter = [.. Enumerable.Range(0, PushersPerNode).Select(i => new Pusher($"writer-{i}", "p1", MutationsPerPusher, () => writer.BaseAddress))];
            Pusher[] pushers = [.. throughLeader, .. throughWriter];
            Task pushing = Pusher.RunAllAsync(pushers, Bound * 2, Outputs);
            await Eventually.HoldsAsync(() => pushers.All(p => p.AnsweredThrough >= 5), "every pusher had pushes answered", Bound);

            // After the kill, as clients would: what they had in flight fails, and they send it to a survivor.
            void FailOver()
            {
                foreach (Pusher pusher in throughLeader)
                {
                    pusher.Target = () => writer.BaseAddress;
                }
                sseLeader.Target = () => survivors[1].BaseAddress;
            }
            Dictionary<string, (long Sequenced, long Committed)> unsequenced = [];
            long killedAt;
            if (betweenCommitAndSequencing)
            {
                await using var hold = new NpgsqlConnection(database.ConnectionString);
                await hold.OpenAsync(TestContext.Current.CancellationToken);
                await using NpgsqlTransaction holding = await hold.BeginTransactionAsync(TestContext.Current.CancellationToken);
                await Sql.ExecuteAsync(hold, "SELECT 1 FROM tether_head FOR UPDATE");
                unsequenced = await Sql.UntilAsync(database.ConnectionString, async connection =>
                {
                    bool roundWaits = await Sql.ScalarAsync<long>(connection,
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%tether_advance_head%'") > 0;
                    Dictionary<string, (long Sequenced, long Committed)> clients = await ClientsAsync(connection);
                    return roundWaits && pushers.All(p => clients.TryGetValue(p.ClientId, out var c) && c.Committed > c.Sequenced) ? clients : null;
                }, "the leader's round waits on the head while every pusher has a committed batch the log does not have yet", Bound, Outputs);
                await leader.KillAsync();
                killedAt = Stopwatch.GetTimestamp();
                FailOver();
                await holding.RollbackAsync(TestContext.Current.CancellationToken);
            }
            else
            {
                // A third of all pushes: the leader's pushers cannot all be done (they are half of them), nor the others.
                await Eventually.HoldsAsync(() => pushers.Sum(p => p.AnsweredThrough) >= pushers.Sum(p => p.Count) / 3, "a third of the pushes were answered", Bound);
                await leader.KillAsync();
                killedAt = Stopwatch.GetTimestamp();
                FailOver();
            }

            await pushing;
            string outputs = Outputs();
            (NodeProcess next, long nextEpoch, long wonAt) = survivors
                .SelectMany(n => n.Epochs.Where(e => e.Epoch > epoch).Select(e => (Node: n, e.Epoch, e.At)))
                .OrderBy(e => e.Epoch).FirstOrDefault();
            Assert.True(next is not null, "no survivor took over the sequencer:\n" + outputs);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"node {leader.Name} led with epoch {epoch} and was killed; node {next.Name} took over with epoch {nextEpoch} " +
                $"{Stopwatch.GetElapsedTime(killedAt, wonAt).TotalMilliseconds:F0} ms after the kill; {pushers.Sum(p => p.Retries)} pushes sent again");

            foreach (Pusher pusher in pushers)
            {
                Assert.True(pusher.Problems.Count == 0, string.Join('\n', pusher.Problems) + "\n" + outputs);
                for (long id = 1; id <= pusher.Count; id++)
                {
                    Assert.True(pusher.Answers.GetValueOrDefault(id) is "applied" or "duplicate", $"{pusher.ClientId} #{id} was answered '{pusher.Answers.GetValueOrDefault(id)}'");
                }
            }
            foreach (Pusher pusher in throughLeader)
            {
                // Committed on the node that died, never answered there: its client's retry is told it is done.
                (long sequenced, long committed) = unsequenced.GetValueOrDefault(pusher.ClientId);
                for (long id = sequenced + 1; id <= committed; id++)
                {
                    Assert.Equal("duplicate", pusher.Answers[id]);
                }
            }

            await using var check = new NpgsqlConnection(database.ConnectionString);
            await check.OpenAsync(TestContext.Current.CancellationToken);
            long head = await Sql.ScalarAsync<long>(check, "SELECT sync_id FROM tether_head");
            // The leadership the log was last written under is a survivor's (it may have changed hands again since).
            Assert.Equal(await Sql.ScalarAsync<long>(check, "SELECT epoch FROM tether_head"), survivors.SelectMany(n => n.Epochs).Max(e => e.Epoch));
            Assert.Equal(head, await Sql.ScalarAsync<long>(check, "SELECT count(*) FROM tether_actions"));
            Assert.Equal(head, await Sql.ScalarAsync<long>(check, "SELECT coalesce(max(sync_id), 0) FROM tether_actions"));
            string[] inserted = [.. (await Sql.ColumnAsync(check, "SELECT model_id FROM tether_actions WHERE model = 'issue' AND action = 'insert' ORDER BY model_id COLLATE \"C\""))];
            string[] expected = [.. pushers.SelectMany(p => Enumerable.Range(1, p.Count).Select(id => p.IssueId(id))).Order(StringComparer.Ordinal)];
            Assert.Equal(expected, inserted);

            using var reader = new SyncApi(writer.BaseAddress, "alice");
            List<JsonElement> log = await reader.AllActionsAsync();
            Assert.Equal(Enumerable.Range(1, (int)head).Select(i => (long)i), log.Select(a => a.SyncId()));
            string[] After(long position) => Frames.Texts(log.Where(a => a.SyncId() > position));
            Assert.Equal(After(liveBStart), Frames.Texts(Frames.ActionsOf(await liveB.ReadUntilAsync(head))));
            Assert.Equal(After(liveCStart), Frames.Texts(Frames.ActionsOf(await liveC.ReadUntilAsync(head))));
            foreach (ResumingEventReader sse in new[] { sseC, sseLeader })
            {
                await Eventually.HoldsAsync(() => sse.LastSyncId >= head || sse.Ended, $"an SSE reader reaches {head}", Bound);
                Assert.Equal(After(start), Frames.Texts(sse.Actions));
            }
            Assert.True(sseLeader.Connections >= 2, "the reader on the killed node connected again");
        }
        finally
        {
            foreach (NodeProcess node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>The node that leads, by the epoch in the database and the node that logged winning it.</summary>
    /// <summary>Per client: the highest mutation id in the log, and the highest one committed.</summary>
    private static async Task<Dictionary<string, (long Sequenced, long Committed)>> ClientsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT c.client_id, coalesce((SELECT max(a.mutation_id) FROM tether_actions a WHERE a.client_id = c.client_id), 0), c.last_mutation_id FROM tether_clients c",
            connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var clients = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            clients[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        return clients;
    }
}
