using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class WriteTransactionTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task SyncIds_start_at_one_and_follow_each_other_across_batches()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(0, tx.Head);
            Assert.Equal(1, await tx.AppendActionAsync(Action("a", "team:1"), Ct));
            Assert.Equal(2, await tx.AppendActionAsync(Action("b", "team:1"), Ct));
            Assert.Equal(2, tx.Head);
            await tx.CommitAsync(Ct);
        }

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(2, tx.Head);
            Assert.Equal(3, await tx.AppendActionAsync(Action("c"), Ct));
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(3, snapshot.Head);
        Assert.Equal([1L, 2L, 3L], (await snapshot.ReadLogAsync(0, 3, 100, Ct)).Select(e => e.SyncId));
    }

    [Fact]
    public async Task Rolled_back_savepoint_leaves_no_hole_in_syncIds()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.SavepointAsync(Ct);
            Assert.Equal(1, await tx.AppendActionAsync(Action("kept-1", "team:1"), Ct));
            await tx.ReleaseSavepointAsync(Ct);

            await tx.SavepointAsync(Ct);
            Assert.Equal(2, await tx.AppendActionAsync(Action("rejected", "team:1"), Ct));
            await tx.PutRecordAsync("issue", "rejected", """{"id":"rejected"}""", ["team:1"], Ct);
            await tx.RollbackToSavepointAsync(Ct);
            Assert.Equal(1, tx.Head);

            await tx.SavepointAsync(Ct);
            Assert.Equal(2, await tx.AppendActionAsync(Action("kept-2", "team:1"), Ct));
            await tx.ReleaseSavepointAsync(Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        var log = await snapshot.ReadLogAsync(0, long.MaxValue, 100, Ct);
        Assert.Equal([(1L, "kept-1"), (2L, "kept-2")], log.Select(e => (e.SyncId, e.ModelId)));
        Assert.Null(await snapshot.GetRecordAsync("issue", "rejected", Ct));
    }

    [Fact]
    public async Task Nested_savepoints_restore_the_head_of_their_own_level()
    {
        var store = await _harness.OpenAsync();
        await using var tx = await store.BeginWriteAsync(Ct);

        await tx.SavepointAsync(Ct);
        await tx.AppendActionAsync(Action("outer"), Ct);
        await tx.SavepointAsync(Ct);
        await tx.AppendActionAsync(Action("inner"), Ct);
        Assert.Equal(2, tx.Head);

        await tx.RollbackToSavepointAsync(Ct);
        Assert.Equal(1, tx.Head);
        await tx.RollbackToSavepointAsync(Ct);
        Assert.Equal(0, tx.Head);
        Assert.Equal(1, await tx.AppendActionAsync(Action("after"), Ct));
    }

    [Fact]
    public async Task Uncommitted_write_is_invisible_and_gone_after_dispose()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1"}""", ["team:1"], Ct);
            await tx.AppendActionAsync(Action("i1", "team:1"), Ct);
            await tx.SetLastMutationIdAsync("c1", "u1", 1, Ct);

            await using var during = await store.BeginReadAsync(Ct);
            Assert.Equal(0, during.Head);
            Assert.Null(await during.GetRecordAsync("issue", "i1", Ct));
            Assert.Null(await during.GetClientAsync("c1", Ct));
        }

        await using (var next = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(0, next.Head);
            Assert.Null(await next.GetRecordAsync("issue", "i1", Ct));
            Assert.Null(await next.GetClientAsync("c1", Ct));
            Assert.Equal(1, await next.AppendActionAsync(Action("i2"), Ct));
        }

        await using var after = await store.BeginReadAsync(Ct);
        Assert.Equal(0, after.Head);
        Assert.Empty(await after.ReadLogAsync(0, long.MaxValue, 100, Ct));
    }

    [Fact]
    public async Task Put_record_replaces_its_data_and_its_groups()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1","title":"first"}""", ["team:1", "user:7"], Ct);
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1","title":"second"}""", ["user:7", "team:2"], Ct);

            var inside = await tx.GetRecordAsync("issue", "i1", Ct);
            Assert.NotNull(inside);
            Assert.Equal("second", (string?)inside.Data["title"]);
            Assert.Equal(["team:2", "user:7"], inside.SyncGroups);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        var record = await snapshot.GetRecordAsync("issue", "i1", Ct);
        Assert.NotNull(record);
        Assert.Equal("issue", record.ModelName);
        Assert.Equal("i1", (string?)record.Data["id"]);
        Assert.Equal(["team:2", "user:7"], record.SyncGroups);
        Assert.Empty(await snapshot.ListRecordsAsync("issue", "team:1", Ct));
        Assert.Single(await snapshot.ListRecordsAsync("issue", "team:2", Ct));
    }

    [Fact]
    public async Task Delete_record_removes_it_and_its_group_links()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1"}""", ["team:1"], Ct);
            await tx.PutRecordAsync("issue", "i2", """{"id":"i2"}""", ["team:1"], Ct);
            await tx.DeleteRecordAsync("issue", "i1", Ct);
            Assert.Null(await tx.GetRecordAsync("issue", "i1", Ct));
            await tx.CommitAsync(Ct);
        }

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            // Re-creating the record without groups must not resurrect the old link.
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1"}""", [], Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["i2"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        var all = new List<StoredRecord>();
        await foreach (var row in snapshot.ReadRecordsAsync(["issue"], ["team:1"], Ct))
        {
            all.Add(row);
        }

        Assert.Equal(["i2"], all.Select(r => r.Id));
    }

    [Fact]
    public async Task Client_lastMutationId_is_created_then_moved_and_keeps_its_owner()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            Assert.Null(await tx.GetClientAsync("c1", Ct));
            await tx.SetLastMutationIdAsync("c1", "u1", 1, Ct);
            Assert.Equal(new ClientState("c1", "u1", 1), await tx.GetClientAsync("c1", Ct));
            await tx.SetLastMutationIdAsync("c1", "u1", 5, Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(new ClientState("c1", "u1", 5), await snapshot.GetClientAsync("c1", Ct));
        Assert.Null(await snapshot.GetClientAsync("c2", Ct));
    }

    [Fact]
    public async Task A_group_first_seen_in_a_rolled_back_mutation_links_correctly_afterwards()
    {
        var store = await _harness.OpenAsync();

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.SavepointAsync(Ct);
            await tx.PutRecordAsync("issue", "gone", """{"id":"gone"}""", ["team:ghost"], Ct);
            await tx.RollbackToSavepointAsync(Ct);

            // The interned id the rolled-back group had may now go to another name; nothing may still point at it.
            await tx.SavepointAsync(Ct);
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1"}""", ["team:real"], Ct);
            await tx.AppendActionAsync(Action("i1", "team:real"), Ct);
            await tx.ReleaseSavepointAsync(Ct);
            await tx.CommitAsync(Ct);
        }

        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "i2", """{"id":"i2"}""", ["team:ghost"], Ct);
            await tx.AppendActionAsync(Action("i2", "team:ghost"), Ct);
            await tx.CommitAsync(Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["i1"], (await snapshot.ListRecordsAsync("issue", "team:real", Ct)).Select(r => r.Id));
        Assert.Equal(["i2"], (await snapshot.ListRecordsAsync("issue", "team:ghost", Ct)).Select(r => r.Id));
        var log = await snapshot.ReadLogAsync(0, long.MaxValue, 10, Ct);
        Assert.Equal([["team:real"], ["team:ghost"]], log.Select(e => e.SyncGroups.ToArray()));
    }

    [Fact]
    public async Task A_second_writer_waits_until_the_first_is_disposed()
    {
        var store = await _harness.OpenAsync();
        var first = await store.BeginWriteAsync(Ct);
        await first.AppendActionAsync(Action("a"), Ct);

        var second = store.BeginWriteAsync(Ct).AsTask();
        await Task.Delay(200, Ct);
        Assert.False(second.IsCompleted);

        await first.CommitAsync(Ct);
        await first.DisposeAsync();

        await using var tx = await second.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(1, tx.Head);
    }
}
