using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Tether.Server.PostgreSql.Internal.Sequencing;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>One round of the sequencer written to the log, and the leadership that allows it.</summary>
public sealed class LogWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_round_gives_gap_free_syncIds_in_order_with_groups_group_changes_and_the_transactions_positions()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        long xid8 = long.Parse((string)(await db.ScalarAsync("SELECT pg_current_xact_id()::text"))!, CultureInfo.InvariantCulture);
        await using PgLeadership leadership = (await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct))!;
        NpgsqlLogSequenceNumber start = leadership.Lsn;
        var first = new DecodedTransaction((uint)(xid8 & 0xFFFFFFFF), start + 10, start + 20, DateTime.UtcNow,
            [
                new ActionDraft("insert", "issue", "a", """{"id":"a"}""", ["team-1", "team-2"], "c1", 7),
                new ActionDraft("update", "issue", "b", """{"id":"b"}""", ["team-1"], null, null),
            ],
            ["alice", "bob"], "batch-1", Reset: false);
        var second = new DecodedTransaction(123, start + 30, start + 40, DateTime.UtcNow,
            [new ActionDraft("delete", "issue", "a", null, ["team-2"], null, null)], [], null, Reset: false);
        await using NpgsqlConnection listener = await db.OpenAsync();
        string? payload = null;
        listener.Notification += (_, e) => payload = e.Payload;
        await using (var listen = new NpgsqlCommand("LISTEN tether_commits", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await using (NpgsqlConnection connection = await db.OpenAsync())
        {
            PgLogWriter.SequencedRound round = await PgLogWriter.WriteAsync(connection, leadership.Epoch, leadership.Head, [first, second], prune: true, Ct);
            Assert.Equal(3L, round.Head);
        }

        Assert.Equal("1:insert:issue:a:c1:7|2:update:issue:b::|3:delete:issue:a::", await db.ScalarAsync(
            "SELECT string_agg(concat_ws(':', sync_id, action, model, model_id, coalesce(client_id, ''), coalesce(mutation_id::text, '')), '|' ORDER BY sync_id) FROM tether_actions"));
        Assert.Equal("1:team-1|1:team-2|2:team-1|3:team-2", await db.ScalarAsync(
            "SELECT string_agg(ag.sync_id || ':' || g.name, '|' ORDER BY ag.sync_id, g.name) FROM tether_action_groups ag JOIN tether_groups g ON g.id = ag.group_id"));
        Assert.Equal("1:alice|1:bob", await db.ScalarAsync("SELECT string_agg(sync_id || ':' || user_id, '|' ORDER BY user_id) FROM tether_group_changes"));
        Assert.Equal($"{xid8}:1:2:batch-1", await db.ScalarAsync(
            "SELECT string_agg(concat_ws(':', xid, first_sync_id, last_sync_id, batch_key), '|') FROM tether_wal_transactions WHERE commit_lsn = '" + (start + 10) + "'"));
        Assert.Equal(3L, await db.ScalarAsync("SELECT last_sync_id FROM tether_wal_transactions WHERE commit_lsn = '" + (start + 30) + "'"));
        Assert.Equal(start + 40, await db.ScalarAsync("SELECT lsn FROM tether_head"));
        Assert.Equal(start + 30, await db.ScalarAsync("SELECT last_commit_lsn FROM tether_head"));
        while (payload is null)
        {
            await listener.WaitAsync(Ct);
        }
        Assert.True(PgLogWriter.TryParsePayload(payload!, out SequencerNotice notice));
        Assert.Equal(3L, notice.Head);
        Assert.Equal(start + 40, notice.Lsn);
        Assert.Equal([("batch-1", 2L)], notice.Batches);
    }

    [Fact]
    public async Task A_transaction_the_log_cannot_tell_steps_the_head_over_one_syncId_and_raises_the_horizon_to_it()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        await using PgLeadership leadership = (await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct))!;
        NpgsqlLogSequenceNumber start = leadership.Lsn;
        var truncated = new DecodedTransaction(5, start + 10, start + 20, DateTime.UtcNow, [], [], null, Reset: true);
        var after = new DecodedTransaction(6, start + 30, start + 40, DateTime.UtcNow, [new ActionDraft("insert", "issue", "x", "{}", ["g"], null, null)], [], null, Reset: false);

        await using (NpgsqlConnection connection = await db.OpenAsync())
        {
            await PgLogWriter.WriteAsync(connection, leadership.Epoch, leadership.Head, [truncated, after], prune: false, Ct);
        }

        Assert.Equal(1L, await db.ScalarAsync("SELECT value FROM tether_meta WHERE key = 'horizon'"));
        Assert.Equal(2L, await db.ScalarAsync("SELECT sync_id FROM tether_head"));
        Assert.Equal(2L, await db.ScalarAsync("SELECT string_agg(sync_id::text, ',')::bigint FROM tether_actions"));
    }

    [Fact]
    public async Task A_leader_whose_epoch_was_taken_over_writes_nothing()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        PgLeadership old = (await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct))!;
        long oldEpoch = old.Epoch;
        await old.DisposeAsync();
        await using PgLeadership current = (await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct))!;
        Assert.Equal(oldEpoch + 1, current.Epoch);
        var transaction = new DecodedTransaction(5, current.Lsn + 10, current.Lsn + 20, DateTime.UtcNow, [new ActionDraft("insert", "issue", "x", "{}", ["g"], null, null)], [], "k", Reset: false);

        await using NpgsqlConnection connection = await db.OpenAsync();
        var fenced = await Assert.ThrowsAsync<PostgresException>(() => PgLogWriter.WriteAsync(connection, oldEpoch, current.Head, [transaction], prune: false, Ct));

        Assert.Equal("TH001", fenced.SqlState);
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM tether_actions"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM tether_wal_transactions"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT sync_id FROM tether_head"));
    }

    [Fact]
    public async Task Only_one_node_leads_at_a_time_and_the_next_leads_once_the_first_lets_go()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        PgLeadership first = (await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct))!;

        Assert.Null(await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct));

        await first.DisposeAsync();
        await using PgLeadership? second = await PgLeadership.TryAcquireAsync(db.Database.ConnectionString, Ct);
        Assert.NotNull(second);
        Assert.Equal(first.Epoch + 1, second.Epoch);
    }

    [Fact]
    public void A_round_whose_batch_keys_do_not_fit_one_notification_says_so_and_keeps_those_that_fit()
    {
        var transactions = Enumerable.Range(0, 400)
            .Select(i => new DecodedTransaction((uint)i, new NpgsqlLogSequenceNumber((ulong)(i + 1) * 10), new NpgsqlLogSequenceNumber((ulong)(i + 1) * 10 + 5), DateTime.UtcNow,
                [new ActionDraft("insert", "m", "id" + i, "{}", ["g"], null, null)], [], "batch-0123456789abcdef-" + i, Reset: false))
            .ToList();
        PgLogWriter.SequencedRound round = PgLogWriter.Plan(100, transactions);

        string payload = round.Payload(new NpgsqlLogSequenceNumber(99_999));

        Assert.True(payload.Length < 8_000);
        Assert.True(PgLogWriter.TryParsePayload(payload, out SequencerNotice notice));
        Assert.True(notice.Truncated);
        Assert.Equal(500L, notice.Head);
        Assert.NotEmpty(notice.Batches);
        Assert.Equal(("batch-0123456789abcdef-0", 101L), notice.Batches[0]);
        Assert.All(notice.Batches.Select((b, i) => (b, i)), x => Assert.Equal(101L + x.i, x.b.Last));
    }
}
