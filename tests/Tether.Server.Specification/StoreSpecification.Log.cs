using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>The log as delta, poll and live read it, and the group changes beside it.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task Every_field_of_a_log_entry_comes_back_with_its_groups_in_byte_order()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Actions =
            [
                new LogEntry(1, "update", "issue", "i1", """{"id":"i1","title":"é"}""", ["z", "a", "m", "é"], "c9", 42),
                new LogEntry(2, "delete", "issue", "i1", null, ["m", "z"], "c9", 43),
            ],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> log = await WholeLogAsync(snapshot);

        LogEntry update = log[0];
        Assert.Equal((1L, "update", "issue", "i1", """{"id":"i1","title":"é"}""", "c9", (long?)42),
            (update.SyncId, update.Action, update.ModelName, update.ModelId, update.Data, update.ClientId, update.MutationId));
        Assert.Equal(["a", "m", "z", "é"], update.SyncGroups);
        Assert.Equal((2L, "delete", (string?)null, (long?)43), (log[1].SyncId, log[1].Action, log[1].Data, log[1].MutationId));
        Assert.Equal(["m", "z"], log[1].SyncGroups);
    }

    [Fact]
    public async Task The_visible_log_holds_each_action_in_any_of_the_groups_once_with_all_of_its_groups()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Actions = [Insert(1, "both", "team:1", "user:7"), Insert(2, "other", "team:9"), Insert(3, "one", "user:7")],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> visible = await snapshot.ReadVisibleLogAsync(0, snapshot.Head, ["team:1", "user:7"], 100, Ct);

        Assert.Equal([(1L, "both"), (3L, "one")], visible.Select(e => (e.SyncId, e.ModelId)));
        Assert.Equal(["team:1", "user:7"], visible[0].SyncGroups);
        Assert.Empty(await snapshot.ReadVisibleLogAsync(0, snapshot.Head, ["team:2"], 100, Ct));
        Assert.Empty(await snapshot.ReadVisibleLogAsync(0, snapshot.Head, [], 100, Ct));
    }

    [Fact]
    public async Task Log_reads_honour_their_range_and_limit()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "a", "b", "c", "d", "e");

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal([2L, 3L], (await snapshot.ReadLogAsync(1, 4, 2, Ct)).Select(e => e.SyncId));
        Assert.Equal([4L], (await snapshot.ReadLogAsync(3, 4, 100, Ct)).Select(e => e.SyncId));
        Assert.Empty(await snapshot.ReadLogAsync(5, long.MaxValue, 100, Ct));
        Assert.Empty(await snapshot.ReadLogAsync(0, 5, 0, Ct));
        Assert.Equal([2L, 3L], (await snapshot.ReadVisibleLogAsync(1, 4, ["team:1"], 2, Ct)).Select(e => e.SyncId));
        Assert.Equal([5L], (await snapshot.ReadVisibleLogAsync(4, 5, ["team:1"], 100, Ct)).Select(e => e.SyncId));
    }

    [Fact]
    public async Task Group_changes_are_read_by_range_in_syncId_then_user_order()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Actions = [Insert(1, "a", "team:1"), Insert(2, "b", "team:1")],
            GroupChanges = [new GroupChange(1, "u1"), new GroupChange(2, "u2"), new GroupChange(2, "u1")],
        });
        await CommitAsync(store, head => new WriteBatch { Actions = [Insert(3, "c", "team:1")], GroupChanges = [new GroupChange(3, "u3")] });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal([new GroupChange(2, "u1"), new GroupChange(2, "u2")], await snapshot.ReadGroupChangesAsync(1, 2, Ct));
        Assert.Equal([1L, 2L, 2L, 3L], (await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct)).Select(c => c.SyncId));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(3, long.MaxValue, Ct));
    }
}
