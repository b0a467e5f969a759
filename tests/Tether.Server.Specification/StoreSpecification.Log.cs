using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>The log as delta, poll and live read it, and the group changes beside it.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task Every_field_of_a_log_entry_comes_back_with_its_groups_in_byte_order()
    {
        // A model kept as Tether's own records, whose groups are whatever the batch says.
        string[] groups = ["z", "a", "m", "é"];
        var created = new RecordWrite("note", "n1", """{"id":"n1","title":"é"}""", groups);
        var changed = new RecordWrite("note", "n1", """{"id":"n1","title":"è"}""", groups);
        var deleted = new RecordWrite("note", "n1", null, []);
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch { Records = [created], Actions = [Logged(head + 1, "insert", created, "c9", 41)] });
        await CommitAsync(store, head => new WriteBatch { Records = [changed], Actions = [Logged(head + 1, "update", changed, "c9", 42)] });
        await CommitAsync(store, head => new WriteBatch { Records = [deleted], Actions = [Logged(head + 1, "delete", deleted, "c8", 43) with { SyncGroups = groups }] });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> log = await WholeLogAsync(snapshot);

        Assert.Equal(
            [
                (1L, "insert", "note", "n1", """{"id":"n1","title":"é"}""", "c9", 41L),
                (2L, "update", "note", "n1", """{"id":"n1","title":"è"}""", "c9", 42L),
                (3L, "delete", "note", "n1", null, "c8", 43L),
            ],
            log.Select(e => (e.SyncId, e.Action, e.ModelName, e.ModelId, e.Data, e.ClientId, e.MutationId)));
        Assert.All(log, e => Assert.Equal(["a", "m", "z", "é"], e.SyncGroups));
    }

    [Fact]
    public async Task The_visible_log_holds_each_action_in_any_of_the_groups_once_with_all_of_its_groups()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => Inserting(head, Put("both", "team:1", "user:7"), Put("other", "team:9"), Put("one", "user:7")));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> visible = await snapshot.ReadVisibleLogAsync(0, snapshot.Head, ["team:1", "user:7"], 100, Ct);

        // One batch: a store that logs its rows in the order the database wrote them may order them otherwise.
        Assert.Equal(["both", "one"], visible.Select(e => e.ModelId).Order(StringComparer.Ordinal));
        Assert.True(visible[0].SyncId < visible[1].SyncId && visible[1].SyncId <= snapshot.Head);
        Assert.Equal(["team:1", "user:7"], visible.Single(e => e.ModelId == "both").SyncGroups);
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
        // Each at its batch's first syncId, where every store keeps a batch's group changes.
        await CommitAsync(store, head => new WriteBatch
        {
            Records = [Put("a", "team:1")],
            Actions = [Insert(head + 1, Put("a", "team:1"))],
            GroupChanges = [new GroupChange(head + 1, "u2"), new GroupChange(head + 1, "u1")],
        });
        await CommitAsync(store, head => new WriteBatch
        {
            Records = [Put("b", "team:1"), Put("c", "team:1")],
            Actions = [Insert(head + 1, Put("b", "team:1")), Insert(head + 2, Put("c", "team:1"))],
            GroupChanges = [new GroupChange(head + 1, "u3"), new GroupChange(head + 1, "u1")],
        });
        await CommitAsync(store, head => new WriteBatch
        {
            Records = [Put("d", "team:1")],
            Actions = [Insert(head + 1, Put("d", "team:1"))],
            GroupChanges = [new GroupChange(head + 1, "u2")],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal([new GroupChange(1, "u1"), new GroupChange(1, "u2")], await snapshot.ReadGroupChangesAsync(0, 1, Ct));
        Assert.Equal([new GroupChange(2, "u1"), new GroupChange(2, "u3")], await snapshot.ReadGroupChangesAsync(1, 3, Ct));
        Assert.Equal([1L, 1L, 2L, 2L, 4L], (await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct)).Select(c => c.SyncId));
        Assert.Equal([new GroupChange(4, "u2")], await snapshot.ReadGroupChangesAsync(2, 4, Ct));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(4, long.MaxValue, Ct));
    }
}
