using Tether.Server.PostgreSql.Internal.Sequencing;
using static Tether.Server.PostgreSql.Tests.Sequencing.ReplicatedDatabase;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>What the sequencer's decoder makes of transactions written with plain SQL, read back from a real pgoutput
/// slot.</summary>
public sealed class PgChangeStreamTests
{
    private const string InsertT1 = "INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't1', '{\"v\":1}', ARRAY['team:1', 'team:2'])";

    [Fact]
    public async Task Records_inserted_updated_and_deleted_become_insert_update_and_delete_actions_with_their_groups()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        ulong inserted = await db.CommitAsync(InsertT1);
        ulong updated = await db.CommitAsync("UPDATE tether_records SET data = '{\"v\":2}' WHERE id = 't1'");
        ulong deleted = await db.CommitAsync("DELETE FROM tether_records WHERE id = 't1'");

        DecodedTransaction insert = await db.NextAsync();
        Assert.Equal(Xid32(inserted), insert.Xid);
        Assert.Equal(["insert todo/t1 {\"v\":1} [team:1,team:2]"], Describe(insert));
        DecodedTransaction update = await db.NextAsync();
        Assert.Equal(Xid32(updated), update.Xid);
        Assert.Equal(["update todo/t1 {\"v\":2} [team:1,team:2]"], Describe(update));
        DecodedTransaction delete = await db.NextAsync();
        Assert.Equal(Xid32(deleted), delete.Xid);
        Assert.Equal(["delete todo/t1 - [team:1,team:2]"], Describe(delete));

        foreach (DecodedTransaction transaction in new[] { insert, update, delete })
        {
            Assert.True(transaction.CommitLsn < transaction.EndLsn);
            Assert.Null(transaction.BatchKey);
            Assert.False(transaction.Reset);
            Assert.Empty(transaction.GroupChangeUsers);
            Assert.Equal(DateTimeKind.Utc, transaction.CommittedAt.Kind);
        }
        Assert.True(insert.EndLsn <= update.CommitLsn && update.EndLsn <= delete.CommitLsn);
        Assert.True(insert.CommittedAt <= update.CommittedAt && update.CommittedAt <= delete.CommittedAt);
    }

    [Fact]
    public async Task A_record_moved_between_groups_is_deleted_for_the_groups_it_left_then_updated()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));
        await db.CommitAsync(InsertT1);

        ulong moved = await db.CommitAsync("UPDATE tether_records SET groups = ARRAY['team:2', 'team:3'] WHERE id = 't1'");

        await db.NextAsync();
        DecodedTransaction move = await db.NextAsync();
        Assert.Equal(Xid32(moved), move.Xid);
        Assert.Equal(["delete todo/t1 - [team:1]", "update todo/t1 {\"v\":1} [team:2,team:3]"], Describe(move));
    }

    [Fact]
    public async Task Changes_of_one_row_in_one_transaction_collapse_into_the_actions_from_its_first_state_to_its_last()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        ulong first = await db.CommitAsync($$"""
            {{InsertT1}};
            INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't2', '{"v":20}', ARRAY['team:1']);
            UPDATE tether_records SET data = '{"v":3}' WHERE id = 't1';
            UPDATE tether_records SET groups = ARRAY['team:9'] WHERE id = 't1';
            """);
        ulong second = await db.CommitAsync("""
            UPDATE tether_records SET data = '{"v":4}' WHERE id = 't1';
            UPDATE tether_records SET data = '{"v":5}' WHERE id = 't1';
            """);
        ulong gone = await db.CommitAsync("""
            INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't3', '{}', ARRAY['team:1']);
            DELETE FROM tether_records WHERE id = 't3';
            """);
        ulong renamed = await db.CommitAsync("UPDATE tether_records SET id = 't4' WHERE id = 't1'");

        DecodedTransaction collapsed = await db.NextAsync();
        Assert.Equal(Xid32(first), collapsed.Xid);
        // In the order of each row's first change, each as it was committed.
        Assert.Equal(["insert todo/t1 {\"v\":3} [team:9]", "insert todo/t2 {\"v\":20} [team:1]"], Describe(collapsed));
        DecodedTransaction updated = await db.NextAsync();
        Assert.Equal(Xid32(second), updated.Xid);
        Assert.Equal(["update todo/t1 {\"v\":5} [team:9]"], Describe(updated));
        DecodedTransaction nothing = await db.NextAsync();
        Assert.Equal(Xid32(gone), nothing.Xid);
        Assert.Empty(nothing.Actions);
        DecodedTransaction key = await db.NextAsync();
        Assert.Equal(Xid32(renamed), key.Xid);
        Assert.Equal(["delete todo/t1 - [team:9]", "insert todo/t4 {\"v\":5} [team:9]"], Describe(key));
    }

    [Fact]
    public async Task A_row_written_back_as_it_was_makes_no_action()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));
        await db.CommitAsync(InsertT1);

        ulong same = await db.CommitAsync("UPDATE tether_records SET data = data");
        ulong reordered = await db.CommitAsync("UPDATE tether_records SET groups = ARRAY['team:2', 'team:1']");
        ulong backAgain = await db.CommitAsync("""
            UPDATE tether_records SET data = '{"v":2}', groups = ARRAY['team:7'];
            UPDATE tether_records SET data = '{"v":1}', groups = ARRAY['team:1', 'team:2'];
            """);

        await db.NextAsync();
        foreach (ulong xid in new[] { same, reordered, backAgain })
        {
            DecodedTransaction unchanged = await db.NextAsync();
            Assert.Equal(Xid32(xid), unchanged.Xid);
            Assert.Empty(unchanged.Actions);
            Assert.Empty(unchanged.GroupChangeUsers);
        }
    }

    [Fact]
    public async Task A_rolled_back_transaction_is_not_told()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        await db.RollBackAsync(InsertT1);
        ulong committed = await db.CommitAsync("INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't2', '{}', ARRAY['team:1'])");

        DecodedTransaction next = await db.NextAsync();
        Assert.Equal(Xid32(committed), next.Xid);
        Assert.Equal(["insert todo/t2 {} [team:1]"], Describe(next));
    }

    [Fact]
    public async Task The_marker_names_the_batch_and_the_mutation_that_wrote_each_record_it_lists()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        byte[] marker = MarkerMessage.Format("batch-1", [("todo", "t1", "client-a", 7), ("note", "t2", "client-b", 8)], ["u9"]);
        ulong written = await db.CommitWithMarkerAsync("""
            INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't1', '{}', ARRAY['g']);
            INSERT INTO tether_records(model, id, data, groups) VALUES ('todo', 't2', '{}', ARRAY['g']);
            """, marker);

        DecodedTransaction batch = await db.NextAsync();
        Assert.Equal(Xid32(written), batch.Xid);
        Assert.Equal("batch-1", batch.BatchKey);
        // t2's entry is of another model, so t2 was written by no mutation the marker names.
        Assert.Equal(["insert todo/t1 {} [g] client-a#7", "insert todo/t2 {} [g]"], Describe(batch));
        Assert.Equal(["u9"], batch.GroupChangeUsers);
    }

    [Fact]
    public async Task A_transaction_with_only_a_marker_is_told_with_its_batch_key_and_no_action()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        ulong fence = await db.CommitWithMarkerAsync("", MarkerMessage.Format("fence-1", [], []));
        // Users whose groups a batch changed, but no action left to place the change at.
        ulong duplicates = await db.CommitWithMarkerAsync("", MarkerMessage.Format("batch-2", [], ["u1"]));

        DecodedTransaction fenced = await db.NextAsync();
        Assert.Equal(Xid32(fence), fenced.Xid);
        Assert.Equal("fence-1", fenced.BatchKey);
        Assert.Empty(fenced.Actions);
        DecodedTransaction duplicate = await db.NextAsync();
        Assert.Equal(Xid32(duplicates), duplicate.Xid);
        Assert.Equal("batch-2", duplicate.BatchKey);
        Assert.Empty(duplicate.Actions);
        Assert.Empty(duplicate.GroupChangeUsers);
    }

    [Fact]
    public async Task Only_a_transactional_message_with_Tethers_prefix_is_a_marker()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        ulong untransacted = await db.CommitWithMarkerAsync(InsertT1, MarkerMessage.Format("batch-1", [], []), transactional: false);
        ulong foreign = await db.CommitWithMarkerAsync("DELETE FROM tether_records", "not json at all"u8.ToArray(), prefix: "someone-else");

        DecodedTransaction first = await db.NextAsync();
        Assert.Equal(Xid32(untransacted), first.Xid);
        Assert.Null(first.BatchKey);
        Assert.Single(first.Actions);
        DecodedTransaction second = await db.NextAsync();
        Assert.Equal(Xid32(foreign), second.Xid);
        Assert.Null(second.BatchKey);
        Assert.Single(second.Actions);
    }

    [Fact]
    public async Task A_malformed_marker_stops_the_stream()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));

        await db.CommitWithMarkerAsync(InsertT1, "{\"k\":42}"u8.ToArray());

        var stopped = await Assert.ThrowsAsync<SequencerStoppedException>(db.NextAsync);
        Assert.Contains("malformed Tether marker", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transaction_already_sequenced_is_skipped_when_the_slot_sends_it_again()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([]));
        ulong firstXid = await db.CommitAsync(InsertT1);
        ulong secondXid = await db.CommitAsync("DELETE FROM tether_records");
        DecodedTransaction first = await db.NextAsync();
        DecodedTransaction second = await db.NextAsync();
        Assert.Equal((Xid32(firstXid), Xid32(secondXid)), (first.Xid, second.Xid));

        // Started at the first transaction's commit, the slot sends it again: without the last commit known, it is
        // told again; with it, it is skipped.
        await db.StartAsync(new PgChangeStream([]), startAt: first.CommitLsn);
        Assert.Equal(first.Xid, (await db.NextAsync()).Xid);
        await db.StartAsync(new PgChangeStream([]), startAt: first.CommitLsn, lastCommitLsn: first.CommitLsn);
        DecodedTransaction resumed = await db.NextAsync();
        Assert.Equal(second.Xid, resumed.Xid);
        Assert.Equal(Describe(second), Describe(resumed));
        // The end of a transaction is where the next starts.
        await db.StartAsync(new PgChangeStream([]), startAt: first.EndLsn);
        Assert.Equal(second.Xid, (await db.NextAsync()).Xid);
    }

    [Fact]
    public async Task A_truncate_of_a_synced_table_is_a_reset()
    {
        await using ReplicatedDatabase db = await CreateAsync(IssuesTable.Sql, "issues");
        await db.StartAsync(new PgChangeStream([new IssuesTable()]));
        await db.CommitAsync("INSERT INTO issues VALUES ('i1', 'a', 'title', 'body')");

        ulong truncated = await db.CommitWithMarkerAsync("INSERT INTO issues VALUES ('i2', 'a', 'title', 'body'); TRUNCATE issues", MarkerMessage.Format("batch-1", [], ["u1"]));
        ulong after = await db.CommitAsync("INSERT INTO issues VALUES ('i3', 'a', 'title', 'body')");

        await db.NextAsync();
        DecodedTransaction reset = await db.NextAsync();
        Assert.Equal(Xid32(truncated), reset.Xid);
        Assert.True(reset.Reset);
        Assert.Empty(reset.Actions);
        Assert.Empty(reset.GroupChangeUsers);
        Assert.Equal("batch-1", reset.BatchKey);
        DecodedTransaction next = await db.NextAsync();
        Assert.Equal(Xid32(after), next.Xid);
        Assert.False(next.Reset);
        Assert.Single(next.Actions);
    }

    [Fact]
    public async Task A_transaction_over_the_limit_of_row_changes_is_a_reset()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        await db.StartAsync(new PgChangeStream([], maxActionsPerTransaction: 3));

        ulong atLimit = await db.CommitAsync("INSERT INTO tether_records(model, id, data, groups) SELECT 'todo', 'a' || i, '{}', ARRAY['g'] FROM generate_series(1, 3) i");
        ulong overLimit = await db.CommitAsync("INSERT INTO tether_records(model, id, data, groups) SELECT 'todo', 'b' || i, '{}', ARRAY['g'] FROM generate_series(1, 4) i");
        ulong after = await db.CommitAsync("DELETE FROM tether_records WHERE id = 'a1'");

        DecodedTransaction full = await db.NextAsync();
        Assert.Equal(Xid32(atLimit), full.Xid);
        Assert.False(full.Reset);
        Assert.Equal(3, full.Actions.Count);
        DecodedTransaction over = await db.NextAsync();
        Assert.Equal(Xid32(overLimit), over.Xid);
        Assert.True(over.Reset);
        Assert.Empty(over.Actions);
        DecodedTransaction next = await db.NextAsync();
        Assert.Equal(Xid32(after), next.Xid);
        Assert.False(next.Reset);
        Assert.Equal(["delete todo/a1 - [g]"], Describe(next));
    }

    [Fact]
    public async Task An_update_that_leaves_a_large_value_unchanged_is_told_with_that_value()
    {
        await using ReplicatedDatabase db = await CreateAsync(IssuesTable.Sql, "issues");
        await db.StartAsync(new PgChangeStream([new IssuesTable()]));
        // 3,200 characters of hex, stored out of line (EXTERNAL): an update of another column does not log it again.
        await db.CommitAsync("INSERT INTO issues SELECT 'i1', 'a', 'old', string_agg(md5(i::text), '') FROM generate_series(1, 100) i");
        string body = string.Concat(Enumerable.Range(1, 100).Select(i => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))));

        ulong retitled = await db.CommitAsync("UPDATE issues SET title = 'new'");

        await db.NextAsync();
        DecodedTransaction update = await db.NextAsync();
        Assert.Equal(Xid32(retitled), update.Xid);
        Assert.Equal(["update issue/i1 " + IssuesTable.Json("i1", "a", "new", body) + " [team-a]"], Describe(update));
    }

    [Fact]
    public async Task A_synced_table_without_replica_identity_full_stops_the_stream()
    {
        await using ReplicatedDatabase db = await CreateAsync("CREATE TABLE issues(id text PRIMARY KEY, team text NOT NULL, title text NOT NULL, body text NOT NULL);", "issues");
        await db.StartAsync(new PgChangeStream([new IssuesTable()]));

        await db.CommitAsync("INSERT INTO issues VALUES ('i1', 'a', 'title', 'body')");

        var stopped = await Assert.ThrowsAsync<SequencerStoppedException>(db.NextAsync);
        Assert.Contains("\"public\".\"issues\"", stopped.Message, StringComparison.Ordinal);
        Assert.Contains("REPLICA IDENTITY FULL", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_synced_table_without_a_column_its_model_reads_stops_the_stream()
    {
        await using ReplicatedDatabase db = await CreateAsync(IssuesTable.Sql, "issues");
        await db.StartAsync(new PgChangeStream([new GivenTable("issues", "issue", new("id", typeof(string)), new("state", typeof(string)))]));

        await db.CommitAsync("INSERT INTO issues VALUES ('i1', 'a', 'title', 'body')");

        var stopped = await Assert.ThrowsAsync<SequencerStoppedException>(db.NextAsync);
        Assert.Contains("\"public\".\"issues\" has no column \"state\"", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Columns_are_read_as_the_types_the_table_asks_for_and_a_value_the_type_cannot_hold_stops_the_stream()
    {
        await using ReplicatedDatabase db = await CreateAsync(PricesTable.Sql, "prices");
        await db.StartAsync(new PgChangeStream([new PricesTable()]));

        ulong priced = await db.CommitAsync("INSERT INTO prices VALUES ('p1', 12.50, NULL), ('p2', 3, 7)");
        await db.CommitAsync("INSERT INTO prices VALUES ('p3', 'NaN', 1)");

        DecodedTransaction prices = await db.NextAsync();
        Assert.Equal(Xid32(priced), prices.Xid);
        Assert.Equal(["insert price/p1 {\"amount\":12.50,\"stock\":null} [shop]", "insert price/p2 {\"amount\":3,\"stock\":7} [shop]"], Describe(prices));
        var stopped = await Assert.ThrowsAsync<SequencerStoppedException>(db.NextAsync);
        Assert.Contains("Column \"amount\" of \"public\".\"prices\"", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_column_of_a_type_made_after_the_stream_opened_asks_for_a_new_connection_string_which_reads_it()
    {
        await using ReplicatedDatabase db = await CreateAsync();
        var stream = new PgChangeStream([new GivenTable("moods", "mood", new("id", typeof(string)), new("mood", typeof(string)))]);
        await db.StartAsync(stream);
        await db.ExecuteAsync("""
            CREATE TYPE feeling AS ENUM ('happy', 'sad');
            CREATE TABLE moods(id text PRIMARY KEY, mood feeling NOT NULL);
            ALTER TABLE moods REPLICA IDENTITY FULL;
            ALTER PUBLICATION tether_sync ADD TABLE moods;
            """);

        ulong written = await db.CommitAsync("INSERT INTO moods VALUES ('m1', 'happy')");

        var unknown = await Assert.ThrowsAsync<UnknownColumnTypeException>(db.NextAsync);
        Assert.Equal(("public", "moods", "mood"), (unknown.Schema, unknown.Table, unknown.Column));
        await db.StartAsync(stream, applicationName: "tether-decoder-test-2");
        DecodedTransaction read = await db.NextAsync();
        Assert.Equal(Xid32(written), read.Xid);
        Assert.Equal(["insert mood/m1 [\"m1\",\"happy\"] [all]"], Describe(read));
    }

    [Fact]
    public async Task Rows_of_an_app_table_become_actions_through_its_synced_table_and_a_move_between_teams_is_a_delete_and_an_update()
    {
        await using ReplicatedDatabase db = await CreateAsync(IssuesTable.Sql + "CREATE TABLE unsynced(id text PRIMARY KEY);", "issues", "unsynced");
        await db.StartAsync(new PgChangeStream([new IssuesTable()]));

        ulong inserted = await db.CommitAsync("INSERT INTO issues VALUES ('i1', 'a', 'title', 'body'); INSERT INTO unsynced VALUES ('x')");
        ulong moved = await db.CommitAsync("UPDATE issues SET team = 'b'");
        ulong deleted = await db.CommitAsync("DELETE FROM issues");

        DecodedTransaction insert = await db.NextAsync();
        Assert.Equal(Xid32(inserted), insert.Xid);
        Assert.Equal(["insert issue/i1 " + IssuesTable.Json("i1", "a", "title", "body") + " [team-a]"], Describe(insert));
        DecodedTransaction move = await db.NextAsync();
        Assert.Equal(Xid32(moved), move.Xid);
        Assert.Equal(["delete issue/i1 - [team-a]", "update issue/i1 " + IssuesTable.Json("i1", "b", "title", "body") + " [team-b]"], Describe(move));
        DecodedTransaction delete = await db.NextAsync();
        Assert.Equal(Xid32(deleted), delete.Xid);
        Assert.Equal(["delete issue/i1 - [team-b]"], Describe(delete));
    }

    [Fact]
    public async Task A_membership_row_changed_by_sql_re_resolves_the_groups_of_its_users_before_and_after()
    {
        await using ReplicatedDatabase db = await CreateAsync(MembersTable.Sql, "members");
        await db.StartAsync(new PgChangeStream([new MembersTable()]));

        ulong joined = await db.CommitWithMarkerAsync("INSERT INTO members VALUES ('m1', 'u1', 'a')", MarkerMessage.Format("batch-1", [], ["u7"]));
        ulong handedOver = await db.CommitAsync("UPDATE members SET user_id = 'u2', team = 'b'");
        ulong untouched = await db.CommitAsync("UPDATE members SET team = team");

        DecodedTransaction join = await db.NextAsync();
        Assert.Equal(Xid32(joined), join.Xid);
        Assert.Equal(["insert member/m1 " + MembersTable.Json("m1", "u1", "a") + " [team-a]"], Describe(join));
        Assert.Equal(["u7", "u1"], join.GroupChangeUsers);
        DecodedTransaction handOver = await db.NextAsync();
        Assert.Equal(Xid32(handedOver), handOver.Xid);
        Assert.Equal(["delete member/m1 - [team-a]", "update member/m1 " + MembersTable.Json("m1", "u2", "b") + " [team-b]"], Describe(handOver));
        Assert.Equal(["u1", "u2"], handOver.GroupChangeUsers);
        DecodedTransaction unchanged = await db.NextAsync();
        Assert.Equal(Xid32(untouched), unchanged.Xid);
        Assert.Empty(unchanged.Actions);
        Assert.Empty(unchanged.GroupChangeUsers);
    }

    private static string[] Describe(DecodedTransaction transaction)
        => [.. transaction.Actions.Select(action =>
            $"{action.Action} {action.ModelName}/{action.ModelId} {action.Data ?? "-"} [{string.Join(",", action.SyncGroups)}]"
            + (action.ClientId is null ? "" : $" {action.ClientId}#{action.MutationId}"))];
}
