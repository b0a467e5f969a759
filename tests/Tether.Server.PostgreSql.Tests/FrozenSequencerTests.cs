using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// The node that leads the sequencer stops running (SIGSTOP) but keeps its connections open, as a long pause or a
/// suspended machine does: TCP sees nothing wrong, so only the lead's idle limit can end its session. Another node
/// must take the lead within seconds and sequence its writes, and the frozen node, once it runs again, must not
/// write to the log under its old lead.
/// </summary>
public sealed class FrozenSequencerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_frozen_sequencer_node_loses_the_lead_and_the_other_node_sequences_its_writes_within_seconds()
    {
        await using PostgresDatabase database = await PostgresDatabase.CreateAsync();
        await using NodeProcess a = await NodeProcess.StartAsync("a", database.ConnectionString);
        await using NodeProcess b = await NodeProcess.StartAsync("b", database.ConnectionString);
        string Outputs() => a.Output + "\n" + b.Output;
        (NodeProcess leader, _) = await NodeProcess.LeaderAsync(database.ConnectionString, [a, b], Bound, Outputs);
        NodeProcess other = leader == a ? b : a;
        using var alice = new SyncApi(other.BaseAddress, "alice");
        long before = await alice.ApplyAsync("alice-1", 1, "createTeam", new { id = "t1", name = "Core" });

        await leader.FreezeAsync(frozen: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long after = await PushUntilAppliedAsync(alice, "alice-1", 2, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }, Outputs);
        TimeSpan takeover = clock.Elapsed;

        Assert.True(other.Epochs.Count > 0, "the other node never took the lead\n" + Outputs());
        Assert.True(takeover < PgLeadershipIdle + TimeSpan.FromSeconds(30), $"the lead moved after {takeover}\n{Outputs()}");
        await leader.FreezeAsync(frozen: false);
        long last = await alice.ApplyAsync("alice-1", 3, "createIssue", new { id = "i1", projectId = "p1", title = "After the thaw" });

        Assert.True(before < after && after < last, $"{before}, {after}, {last}");
        Assert.Equal(
            ["insert:project:p1", "insert:issue:i1"],
            (await alice.AllActionsAsync(before)).Select(x => $"{x.GetProperty("action").GetString()}:{x.ModelName()}:{x.ModelId()}"));
        await using var log = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await log.OpenAsync(TestContext.Current.CancellationToken);
        Assert.Equal(await Sql.ScalarAsync<long>(log, "SELECT max(sync_id) FROM tether_actions"), await Sql.ScalarAsync<long>(log, "SELECT count(*) FROM tether_actions"));
    }

    private static TimeSpan PgLeadershipIdle => Internal.Sequencing.PgLeadership.IdleTimeout;

    /// <summary>A push answered 503 (its transaction committed but nobody sequenced it in time) is sent again, as a
    /// client does; its retry is answered as a duplicate once sequenced. Returns the lastSyncId it was answered with.</summary>
    private static async Task<long> PushUntilAppliedAsync(SyncApi api, string clientId, long id, string name, object args, Func<string> outputs)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (true)
        {
            using HttpResponseMessage response = await api.PushRawAsync(clientId, M(id, name, args));
            string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if (response.IsSuccessStatusCode)
            {
                System.Text.Json.JsonElement result = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("results")[0];
                string? status = result.GetProperty("status").GetString();
                Assert.True(status is "applied" or "duplicate", $"{name} was {status}: {body}");
                return result.GetProperty("lastSyncId").GetInt64();
            }
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable, $"push answered {(int)response.StatusCode}: {body}");
            Assert.False(deadline.IsCancellationRequested, $"no node sequenced the push within {Bound}\n{outputs()}");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }
}
