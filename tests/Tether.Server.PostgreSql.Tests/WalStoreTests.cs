using System.Data.Common;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// What the PostgreSQL store does where a store that writes the log from each batch differs: the sequencer makes
/// the log from the rows the writers' transactions changed, in their commit order, naming the mutation that wrote
/// each row last; writers hold no lock between them; a batch's group changes are kept at its first syncId.
/// </summary>
public sealed class WalStoreTests : FreshStore
{
    [Fact]
    public async Task Every_record_row_a_batch_writes_becomes_one_action_in_the_order_written_by_the_mutation_that_wrote_it_last()
    {
        Assert.Equal(2, await CommitAsync(new WriteBatch { Records = [Issue("c", "old"), Issue("d", "old")] }));

        long head = await CommitAsync(new WriteBatch
        {
            Records = [Issue("a", "new"), Issue("b", "new"), Issue("c", "new"), new RecordWrite("issue", "d", null, []), Issue("e", "new")],
            Actions =
            [
                Action(1, "insert", Issue("a", "first"), "c1", 1),
                Action(2, "insert", Issue("b", "new"), "c1", 2),
                Action(3, "update", Issue("a", "new"), "c2", 7),
                Action(4, "update", Issue("c", "new"), "c1", 3),
                Action(5, "delete", new RecordWrite("issue", "d", null, ["team:1"]), "c1", 4),
                // Names a record the batch does not write: nothing changed, so nothing is told.
                Action(6, "insert", Issue("x", "new"), "c1", 5),
            ],
        });

        Assert.Equal(7, head);
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(2, long.MaxValue, int.MaxValue, Ct);
        Assert.Equal(
            [
                (3L, "insert", "a", Issue("a", "new").Data, "c2", 7L),
                (4L, "insert", "b", Issue("b", "new").Data, "c1", 2L),
                (5L, "update", "c", Issue("c", "new").Data, "c1", 3L),
                (6L, "delete", "d", null, "c1", 4L),
                // Written by no mutation the batch names.
                (7L, "insert", "e", Issue("e", "new").Data, null, (long?)null),
            ],
            log.Select(e => (e.SyncId, e.Action, e.ModelId, e.Data, e.ClientId, e.MutationId)));
        Assert.All(log, e => Assert.Equal(["team:1"], e.SyncGroups));
        Assert.Null(await snapshot.GetRecordAsync("issue", "x", Ct));
    }

    [Fact]
    public async Task Two_writers_are_open_at_once_and_each_batch_is_sequenced_after_the_other_in_commit_order()
    {
        Assert.Equal(1, await CommitAsync(new WriteBatch { Records = [Issue("seed", "")], Actions = [Action(1, "insert", Issue("seed", ""), "c0", 1)] }));

        await using ITetherWriteTransaction first = await Store.BeginWriteAsync(Ct);
        // A store whose writers took one lock would keep this one waiting until the first ended.
        await using ITetherWriteTransaction second = await Store.BeginWriteAsync(Ct);
        Assert.Equal((1L, 1L), (first.Head, second.Head));

        // Both build on the head they began from; the second commits first.
        CommittedBatch secondCommitted = await second.CommitAsync(new WriteBatch
        {
            Records = [Issue("x1", "second"), Issue("x2", "second")],
            Actions = [Action(2, "insert", Issue("x1", "second"), "c2", 1), Action(3, "insert", Issue("x2", "second"), "c2", 2)],
        }, Ct);
        CommittedBatch firstCommitted = await first.CommitAsync(new WriteBatch
        {
            Records = [Issue("y1", "first")],
            Actions = [Action(2, "insert", Issue("y1", "first"), "c1", 1)],
        }, Ct);

        Assert.True(secondCommitted.SequencedLater && firstCommitted.SequencedLater);
        Assert.Equal((3L, 4L), (await secondCommitted.Sequenced.WaitAsync(Ct), await firstCommitted.Sequenced.WaitAsync(Ct)));
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(
            [(2L, "x1", "c2", 1L), (3L, "x2", "c2", 2L), (4L, "y1", "c1", 1L)],
            (await snapshot.ReadLogAsync(1, long.MaxValue, int.MaxValue, Ct)).Select(e => (e.SyncId, e.ModelId, e.ClientId, e.MutationId)));
    }

    [Fact]
    public async Task Rows_of_a_transaction_disposed_without_its_commit_are_never_told_as_actions()
    {
        await using (ITetherWriteTransaction transaction = await Store.BeginWriteAsync(Ct))
        {
            await using DbCommand insert = ((IStoreConnection)transaction).Connection.CreateCommand();
            insert.Transaction = ((IStoreConnection)transaction).Transaction;
            insert.CommandText = "INSERT INTO tether_records(model, id, data, groups) VALUES ('issue', 'ghost', '{}', '{team:1}')";
            Assert.Equal(1, await insert.ExecuteNonQueryAsync(Ct));
        }

        Assert.Equal(1, await CommitAsync(new WriteBatch { Records = [Issue("real", "")], Actions = [Action(1, "insert", Issue("real", ""), "c1", 1)] }));
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal([(1L, "real")], (await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct)).Select(e => (e.SyncId, e.ModelId)));
        Assert.Null(await snapshot.GetRecordAsync("issue", "ghost", Ct));
    }

    [Fact]
    public async Task A_batchs_group_changes_are_kept_once_per_user_at_its_first_syncId_and_not_at_all_without_actions()
    {
        Assert.Equal(2, await CommitAsync(new WriteBatch
        {
            Records = [Issue("a", ""), Issue("b", "")],
            Actions = [Action(1, "insert", Issue("a", ""), "c1", 1), Action(2, "insert", Issue("b", ""), "c1", 2)],
            GroupChanges = [new GroupChange(1, "u2"), new GroupChange(2, "u1"), new GroupChange(2, "u2")],
        }));
        // A batch without actions has no syncId to keep them at.
        Assert.Equal(2, await CommitAsync(new WriteBatch { Clients = [new ClientState("c1", "u1", 3)], GroupChanges = [new GroupChange(3, "u3")] }));
        Assert.Equal(3, await CommitAsync(new WriteBatch
        {
            Records = [Issue("c", "")],
            Actions = [Action(3, "insert", Issue("c", ""), "c1", 4)],
            GroupChanges = [new GroupChange(3, "u4")],
        }));

        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(
            [new GroupChange(1, "u1"), new GroupChange(1, "u2"), new GroupChange(3, "u4")],
            await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct));
    }

    private static LogEntry Action(long syncId, string action, RecordWrite record, string clientId, long mutationId)
        => new(syncId, action, record.ModelName, record.Id, record.Data, record.SyncGroups, clientId, mutationId);
}
