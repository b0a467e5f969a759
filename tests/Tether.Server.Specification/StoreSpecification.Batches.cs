using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>A batch is written whole or not at all, and its actions follow the head.</summary>
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
    public async Task Each_batch_takes_the_syncIds_after_the_head_for_its_actions_and_the_head_follows_from_batch_to_batch()
    {
        ITetherStore store = await OpenAsync();

        Assert.Equal(2, await CommitAsync(store, head => Inserting(head, Put("a", "team:1"), Put("b", "team:1"))));
        Assert.Equal(3, await CommitAsync(store, head => Inserting(head, Put("c", "team:1"))));
        // A batch without actions (a retried push, say) leaves the head where it is.
        Assert.Equal(3, await CommitAsync(store, head => new WriteBatch { Clients = [new ClientState("c1", "u1", 4)] }));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(3, snapshot.Head);
        Assert.Equal([(1L, "a"), (2L, "b"), (3L, "c")], (await WholeLogAsync(snapshot)).Select(e => (e.SyncId, e.ModelId)));
        await using ITetherWriteTransaction next = await store.BeginWriteAsync(Ct);
        Assert.Equal(3, next.Head);
    }

    [Fact]
    public async Task A_batch_the_database_fails_half_way_through_writes_nothing_and_the_store_goes_on()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "committed");
        await RefuseRecordAsync("refused");

        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct))
        {
            // The refused record comes last, after writes the database has already taken.
            WriteBatch inserts = Inserting(transaction.Head, Put("fine", "team:new"), Put("refused", "team:1"));
            var batch = new WriteBatch
            {
                Records = inserts.Records,
                Actions = inserts.Actions,
                GroupChanges = [new GroupChange(transaction.Head + 1, "u1")],
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
        Assert.Equal(2, await CommitAsync(store, head => Inserting(head, Put("other", "team:other"))));
        Assert.Equal(3, await CommitAsync(store, head => Inserting(head, Put("fine", "team:new"))));
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

        await using (ITetherWriteTransaction next = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(1, next.Head);
        }
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal([(1L, "committed")], (await WholeLogAsync(snapshot)).Select(e => (e.SyncId, e.ModelId)));
        Assert.Equal(["committed"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
    }
}
