using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class ReadSnapshotTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Snapshot_does_not_see_a_commit_made_after_it_began()
    {
        var store = await _harness.OpenAsync();
        await CommitActionsAsync(store, "a");

        await using var before = await store.BeginReadAsync(Ct);

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "b", """{"id":"b"}""", ["team:1"], Ct);
            await tx.AppendActionAsync(Action("b", "team:1"), Ct);
            await tx.SetLastMutationIdAsync("c1", "u1", 1, Ct);
            await tx.CommitAsync(Ct);
        }

        Assert.Equal(1, before.Head);
        Assert.Single(await before.ReadLogAsync(0, long.MaxValue, 100, Ct));
        Assert.Null(await before.GetRecordAsync("issue", "b", Ct));
        Assert.Null(await before.GetClientAsync("c1", Ct));

        await using var after = await store.BeginReadAsync(Ct);
        Assert.Equal(2, after.Head);
        Assert.NotNull(await after.GetRecordAsync("issue", "b", Ct));
    }

    [Fact]
    public async Task Snapshots_never_see_a_hole_while_the_writer_commits()
    {
        var store = await _harness.OpenAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var writer = Task.Run(async () =>
        {
            for (var batch = 0; batch < 100; batch++)
            {
                await using var tx = await store.BeginWriteAsync(Ct);
                for (var i = 0; i < 3; i++)
                {
                    await tx.AppendActionAsync(Action($"{batch}-{i}", "team:1"), Ct);
                }

                await tx.CommitAsync(Ct);
            }
        }, Ct);

        var checks = 0;
        while (!writer.IsCompleted || checks == 0)
        {
            await using var snapshot = await store.BeginReadAsync(Ct);
            var log = await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
            // Batches commit whole, and the log in one snapshot runs 1..Head without gaps.
            Assert.Equal(0, snapshot.Head % 3);
            Assert.Equal(Enumerable.Range(1, (int)snapshot.Head).Select(i => (long)i), log.Select(e => e.SyncId));
            checks++;
        }

        await writer;
        Assert.True(checks > 0);
    }

    [Fact]
    public async Task Visible_log_returns_an_action_in_two_of_the_groups_once()
    {
        var store = await _harness.OpenAsync();
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.AppendActionAsync(Action("both", "team:1", "user:7"), Ct);
            await tx.AppendActionAsync(Action("other", "team:9"), Ct);
            await tx.AppendActionAsync(Action("one", "user:7"), Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        var visible = await snapshot.ReadVisibleLogAsync(0, snapshot.Head, ["team:1", "user:7"], 100, Ct);

        Assert.Equal([(1L, "both"), (3L, "one")], visible.Select(e => (e.SyncId, e.ModelId)));
        // Each entry carries all of its groups, not only the visible ones.
        Assert.Equal(["team:1", "user:7"], visible[0].SyncGroups);
    }

    [Fact]
    public async Task Visible_log_honours_range_and_limit()
    {
        var store = await _harness.OpenAsync();
        await CommitActionsAsync(store, "a", "b", "c", "d", "e");

        await using var snapshot = await store.BeginReadAsync(Ct);
        var page = await snapshot.ReadVisibleLogAsync(1, 4, ["team:1"], 2, Ct);
        Assert.Equal([2L, 3L], page.Select(e => e.SyncId));
        Assert.Empty(await snapshot.ReadVisibleLogAsync(0, 5, ["team:2"], 100, Ct));
        Assert.Equal([4L], (await snapshot.ReadLogAsync(3, 4, 100, Ct)).Select(e => e.SyncId));
    }

    [Fact]
    public async Task Log_entries_carry_every_field_and_their_groups_in_a_stable_order()
    {
        var store = await _harness.OpenAsync();
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.AppendActionAsync(new NewSyncAction("update", "issue", "i1", """{"id":"i1"}""", ["z", "a", "m"], "c9", 42), Ct);
            await tx.AppendActionAsync(new NewSyncAction("delete", "issue", "i1", null, ["m", "z"], "c9", 43), Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        var log = await snapshot.ReadLogAsync(0, long.MaxValue, 100, Ct);

        var update = log[0];
        Assert.Equal(("update", "issue", "i1", """{"id":"i1"}""", "c9", (long?)42),
            (update.Action, update.ModelName, update.ModelId, update.Data, update.ClientId, update.MutationId));
        Assert.Equal(["a", "m", "z"], update.SyncGroups);
        Assert.Null(log[1].Data);
        Assert.Equal(["m", "z"], log[1].SyncGroups);
    }

    [Fact]
    public async Task Read_records_returns_each_record_once_ordered_by_model_then_id()
    {
        var store = await _harness.OpenAsync();
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("project", "p1", """{"id":"p1"}""", ["team:1"], Ct);
            await tx.PutRecordAsync("issue", "i2", """{"id":"i2"}""", ["team:1", "user:7"], Ct);
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1"}""", ["user:7"], Ct);
            await tx.PutRecordAsync("issue", "hidden", """{"id":"hidden"}""", ["team:9"], Ct);
            await tx.PutRecordAsync("comment", "c1", """{"id":"c1"}""", ["team:1"], Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        var rows = new List<StoredRecord>();
        await foreach (var row in snapshot.ReadRecordsAsync(["project", "issue"], ["team:1", "user:7"], Ct))
        {
            rows.Add(row);
        }

        Assert.Equal(
            [("issue", "i1"), ("issue", "i2"), ("project", "p1")],
            rows.Select(r => (r.ModelName, r.Id)));
        Assert.Equal("""{"id":"i2"}""", rows[1].Data);
    }

    [Fact]
    public async Task Group_changes_are_read_by_range()
    {
        var store = await _harness.OpenAsync();
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            var first = await tx.AppendActionAsync(Action("a", "team:1"), Ct);
            await tx.AddGroupChangeAsync(first, "u1", Ct);
            var second = await tx.AppendActionAsync(Action("b", "team:1"), Ct);
            await tx.AddGroupChangeAsync(second, "u2", Ct);
            await tx.AddGroupChangeAsync(second, "u1", Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(
            [new GroupChange(2, "u1"), new GroupChange(2, "u2")],
            await snapshot.ReadGroupChangesAsync(1, 2, Ct));
        Assert.Equal(3, (await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct)).Count);
    }
}
