using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>A batch is written whole or not at all, and only where it continues the head.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task A_new_store_is_empty_at_head_zero_with_nothing_compacted()
    {
        ITetherStore store = await OpenAsync();

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(0, snapshot.Head);
        Assert.Equal(0, snapshot.Horizon);
        Assert.Empty(await WholeLogAsync(snapshot));
        await using ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct);
        Assert.Equal(0, transaction.Head);
    }

    [Fact]
    public async Task Batches_commit_their_actions_at_the_syncIds_given_and_the_head_follows_from_batch_to_batch()
    {
        ITetherStore store = await OpenAsync();

        Assert.Equal(0, await CommitAsync(store, head => new WriteBatch { Actions = [Insert(1, "a", "team:1"), Insert(2, "b", "team:1")] }));
        Assert.Equal(2, await CommitAsync(store, head => new WriteBatch { Actions = [Insert(3, "c", "team:1")] }));
        // A batch without actions (a retried push, say) leaves the head where it is.
        Assert.Equal(3, await CommitAsync(store, head => new WriteBatch { Clients = [new ClientState("c1", "u1", 4)] }));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(3, snapshot.Head);
        Assert.Equal([(1L, "a"), (2L, "b"), (3L, "c")], (await WholeLogAsync(snapshot)).Select(e => (e.SyncId, e.ModelId)));
        await using ITetherWriteTransaction next = await store.BeginWriteAsync(Ct);
        Assert.Equal(3, next.Head);
    }

    [Theory]
    [InlineData(2, 3)] // skips a syncId
    [InlineData(0, 1)] // reuses the head's
    [InlineData(1, 3)] // a hole inside the batch
    [InlineData(1, 1)] // the same syncId twice
    public async Task A_batch_whose_actions_do_not_run_on_from_the_head_is_refused_at_commit_and_writes_nothing(long first, long second)
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "committed");

        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct))
        {
            long head = transaction.Head;
            var batch = new WriteBatch
            {
                Records = [Put("refused", "team:1")],
                Actions = [Insert(head + first, "refused", "team:1"), Insert(head + second, "refused-2", "team:1")],
                GroupChanges = [new GroupChange(head + first, "u1")],
                Clients = [new ClientState("c9", "u9", 1)],
                Rejections = [new StoredRejection("c9", 1, "invalid_args", "No.")],
            };
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await transaction.CommitAsync(batch, Ct));
        }

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(1, snapshot.Head);
        Assert.Equal([1L], (await WholeLogAsync(snapshot)).Select(e => e.SyncId));
        Assert.Null(await snapshot.GetRecordAsync("issue", "refused", Ct));
        Assert.Null(await snapshot.GetClientAsync("c9", Ct));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct));
        Assert.Equal([2L], await CommitInsertsAsync(store, "next"));
    }

    [Fact]
    public async Task A_batch_the_database_fails_half_way_through_writes_nothing_and_the_store_goes_on()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "committed");
        await RefuseRecordAsync("refused");

        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct))
        {
            var batch = new WriteBatch
            {
                // The refused record comes last, after writes the database has already taken.
                Records = [Put("fine", "team:new"), Put("refused", "team:1")],
                Actions = [Insert(2, "fine", "team:new"), Insert(3, "refused", "team:1")],
                GroupChanges = [new GroupChange(2, "u1")],
                Clients = [new ClientState("c9", "u9", 1)],
                Rejections = [new StoredRejection("c9", 1, "invalid_args", "No.")],
            };
            await Assert.ThrowsAnyAsync<Exception>(async () => await transaction.CommitAsync(batch, Ct));
        }

        await using (ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct))
        {
            Assert.Equal(1, snapshot.Head);
            Assert.Equal([1L], (await WholeLogAsync(snapshot)).Select(e => e.SyncId));
            Assert.Null(await snapshot.GetRecordAsync("issue", "fine", Ct));
            Assert.Empty(await snapshot.ListRecordsAsync("issue", "team:new", Ct));
            Assert.Null(await snapshot.GetClientAsync("c9", Ct));
            Assert.Empty(await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct));
        }

        // A group first named in the failed batch is named again; nothing may still point at what it was given then.
        await CommitAsync(store, head => new WriteBatch { Records = [Put("other", "team:other")], Actions = [Insert(head + 1, "other", "team:other")] });
        await CommitAsync(store, head => new WriteBatch { Records = [Put("fine", "team:new")], Actions = [Insert(head + 1, "fine", "team:new")] });
        await using ITetherReadSnapshot after = await store.BeginReadAsync(Ct);
        Assert.Equal(["other"], (await after.ListRecordsAsync("issue", "team:other", Ct)).Select(r => r.Id));
        Assert.Equal(["fine"], (await after.ListRecordsAsync("issue", "team:new", Ct)).Select(r => r.Id));
        Assert.Equal([["team:1"], ["team:other"], ["team:new"]], (await WholeLogAsync(after)).Select(e => e.SyncGroups.ToArray()));
    }

    [Fact]
    public async Task A_transaction_disposed_without_its_commit_leaves_the_store_as_it_was()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "committed");

        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct))
        {
            Assert.NotNull(await transaction.GetRecordAsync("issue", "committed", Ct));
        }

        await using ITetherWriteTransaction next = await store.BeginWriteAsync(Ct);
        Assert.Equal(1, next.Head);
    }

    [Fact]
    public async Task A_second_writer_begins_only_once_the_first_has_ended_and_holds_the_head_the_first_committed()
    {
        ITetherStore store = await OpenAsync();
        ITetherWriteTransaction first = await store.BeginWriteAsync(Ct);
        Task<ITetherWriteTransaction> second;
        try
        {
            second = store.BeginWriteAsync(Ct).AsTask();
            // A store that let it in would have it hold head 0, which the first is about to move.
            Assert.False(second.IsCompleted, "the second writer began while the first was open");
            await first.CommitAsync(new WriteBatch { Actions = [Insert(1, "a", "team:1")] }, Ct);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using ITetherWriteTransaction next = await second.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1, next.Head);
        await next.CommitAsync(new WriteBatch { Actions = [Insert(2, "b", "team:1")] }, Ct);
    }
}
