using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tether.Client;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A database restored from a backup, or failed over to a replica that lagged, has a head behind what a node already
/// published. The node must not wait for the head to pass its old position (withholding every commit until then).
/// </summary>
public sealed class HeadMovedBackTests
{
    [Fact]
    public async Task Live_clients_past_a_head_that_moved_back_bootstrap_again_and_new_commits_still_reach_them_live()
    {
        await using TestServer server = await Nodes.StartAsync();
        using FanoutRestarts restarts = new(server);
        using SyncApi alice = server.Api("alice");
        long backupHead = await new Seed(alice, "seed").TeamWithProjectAsync("t1", "p1");
        await alice.ApplyAsync("lost", 1, "createIssue", new { id = "lost-1", projectId = "p1", title = "Lost 1" });
        long lostHead = await alice.ApplyAsync("lost", 2, "createIssue", new { id = "lost-2", projectId = "p1", title = "Lost 2" });
        await using TetherClient client = await Clients.StartAsync(server.BaseAddress, "alice");
        await Clients.EventuallyAsync(
            () => client.Status == ClientStatus.Live && client.LastSyncId == lostHead && client.Has("issue", "lost-2"),
            "the client is live at the head with both issues");

        await RestoreBackupAsync(server.PostgresConnection!, backupHead, lostClientId: "lost");
        long afterId = await alice.ApplyAsync("after", 1, "createIssue", new { id = "after", projectId = "p1", title = "After the restore" });
        Assert.Equal(backupHead + 1, afterId);

        await Clients.EventuallyAsync(
            () => client.Has("issue", "after") && !client.Has("issue", "lost-1") && !client.Has("issue", "lost-2"),
            "the client holds the restored database's data and the commit after it");
        long nextId = await alice.ApplyAsync("after", 2, "createIssue", new { id = "after-2", projectId = "p1", title = "Live again" });
        await Clients.EventuallyAsync(() => client.Has("issue", "after-2") && client.LastSyncId == nextId, "the next commit arrives live");
        await using TetherClient fresh = await Clients.StartAsync(server.BaseAddress, "alice");
        await Clients.EventuallyAsync(() => fresh.LastSyncId == nextId, "a new client bootstraps at the head");
        Assert.Equal(fresh.Snapshot(), client.Snapshot());
        Assert.Equal(["head_moved_back"], restarts.Reasons);
    }

    /// <summary>The reasons of the <c>tether.server.fanout.restarts</c> counter of one server (its meters are
    /// created by its own meter factory, so other servers of the test process are not counted).</summary>
    private sealed class FanoutRestarts : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<string> _reasons = [];

        public FanoutRestarts(TestServer server)
        {
            IMeterFactory factory = server.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Name == "tether.server.fanout.restarts")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        lock (_reasons)
                        {
                            _reasons.Add((string)tag.Value!);
                        }
                    }
                }
            });
            _listener.Start();
        }

        public string[] Reasons
        {
            get
            {
                lock (_reasons)
                {
                    return [.. _reasons];
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Leaves the database as a backup taken at <paramref name="head"/> would have it: the actions after it,
    /// the issues they created and the mutation ids of the client that pushed them are gone. A restore is not a
    /// change the sequencer should tell, so the record table leaves the publication while its rows go.</summary>
    private static async Task RestoreBackupAsync(string connectionString, long head, string lostClientId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        string after = head.ToString(CultureInfo.InvariantCulture);
        await using var command = new NpgsqlCommand(
            $"""
            ALTER PUBLICATION tether_sync DROP TABLE tether_records;
            DELETE FROM tether_record_groups WHERE (model, id) IN (SELECT model, model_id FROM tether_actions WHERE sync_id > {after});
            DELETE FROM tether_records WHERE (model, id) IN (SELECT model, model_id FROM tether_actions WHERE sync_id > {after});
            DELETE FROM tether_action_groups WHERE sync_id > {after};
            DELETE FROM tether_group_changes WHERE sync_id > {after};
            DELETE FROM tether_actions WHERE sync_id > {after};
            DELETE FROM tether_clients WHERE client_id = @client;
            DELETE FROM tether_wal_transactions WHERE last_sync_id > {after};
            UPDATE tether_head SET sync_id = {after};
            ALTER PUBLICATION tether_sync ADD TABLE tether_records;
            """,
            connection);
        command.Parameters.AddWithValue("client", lostClientId);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
