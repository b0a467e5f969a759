using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>Compaction drops old log, never records, and never lets a syncId be used twice.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task Compaction_drops_older_actions_and_group_changes_raises_the_horizon_and_keeps_every_record()
    {
        ITetherStore store = await OpenAsync();
        // One batch each, so that every store keeps each group change at a syncId of its own.
        for (int i = 1; i <= 4; i++)
        {
            RecordWrite record = Put($"i{i}", "team:1");
            Assert.Equal(i, await CommitAsync(store, head => new WriteBatch
            {
                Records = [record],
                Actions = [Insert(head + 1, record)],
                GroupChanges = [new GroupChange(head + 1, "u1")],
            }));
        }

        await store.CompactAsync(2, Ct);
        // A lower horizon never moves it back.
        await store.CompactAsync(1, Ct);

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal((4L, 2L), (snapshot.Head, snapshot.Horizon));
        Assert.Equal([3L, 4L], (await WholeLogAsync(snapshot)).Select(e => e.SyncId));
        Assert.Equal([3L, 4L], (await snapshot.ReadVisibleLogAsync(0, long.MaxValue, ["team:1"], 100, Ct)).Select(e => e.SyncId));
        Assert.Equal([3L, 4L], (await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct)).Select(c => c.SyncId));
        Assert.Equal(4, (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Count);
    }

    [Fact]
    public async Task Compacting_beyond_the_head_is_refused_and_changes_nothing()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "a");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.CompactAsync(2, Ct));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(0, snapshot.Horizon);
        Assert.Single(await WholeLogAsync(snapshot));
    }

    [Fact]
    public async Task SyncIds_go_on_from_the_head_after_the_whole_log_was_compacted_also_in_a_store_opened_again()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "a", "b", "c");
        await store.CompactAsync(3, Ct);

        await using (ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct))
        {
            Assert.Empty(await WholeLogAsync(snapshot));
            Assert.Equal((3L, 3L), (snapshot.Head, snapshot.Horizon));
        }
        Assert.Equal([4L], await CommitInsertsAsync(store, "d"));
        await store.CompactAsync(4, Ct);
        await store.DisposeAsync();

        ITetherStore reopened = await OpenAsync();
        Assert.Equal([5L], await CommitInsertsAsync(reopened, "e"));
        await using ITetherReadSnapshot after = await reopened.BeginReadAsync(Ct);
        Assert.Equal((5L, 4L), (after.Head, after.Horizon));
    }
}
