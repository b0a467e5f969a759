using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>
/// What a store that writes the log from the batch's own actions, one writer at a time, must do beyond
/// <see cref="StoreSpecification"/>: a writer holds the head until it commits, the batch's actions take exactly the
/// syncIds it gives them (refused when they do not continue that head), and its group changes stay where it put them.
/// A store that builds the log from the rows its writers changed, in the database's commit order, does none of this.
/// </summary>
public abstract class BatchLogStoreSpecification : StoreSpecification
{
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
                Records = [Put("refused", "team:1"), Put("refused-2", "team:1")],
                Actions = [Insert(head + first, Put("refused", "team:1")), Insert(head + second, Put("refused-2", "team:1"))],
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
        Assert.Null(await snapshot.GetRecordAsync("issue", "refused-2", Ct));
        Assert.Null(await snapshot.GetClientAsync("c9", Ct));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct));
        Assert.Equal([2L], await CommitInsertsAsync(store, "next"));
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
            CommittedBatch committed = await first.CommitAsync(Inserting(0, Put("a", "team:1")), Ct);
            Assert.False(committed.SequencedLater);
            Assert.Equal(1, await committed.Sequenced);
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using ITetherWriteTransaction next = await second.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(1, next.Head);
        Assert.Equal(2, await (await next.CommitAsync(Inserting(1, Put("b", "team:1")), Ct)).Sequenced);
    }

    [Fact]
    public async Task Group_changes_stay_at_the_syncIds_the_batch_gives_them()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Records = [Put("a", "team:1"), Put("b", "team:1")],
            Actions = [Insert(head + 1, Put("a", "team:1")), Insert(head + 2, Put("b", "team:1"))],
            // The second mutation of the batch changed u1's groups again, and u2's.
            GroupChanges = [new GroupChange(head + 1, "u1"), new GroupChange(head + 2, "u2"), new GroupChange(head + 2, "u1")],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal([new GroupChange(1, "u1")], await snapshot.ReadGroupChangesAsync(0, 1, Ct));
        Assert.Equal([new GroupChange(2, "u1"), new GroupChange(2, "u2")], await snapshot.ReadGroupChangesAsync(1, 2, Ct));
    }
}
