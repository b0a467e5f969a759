using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class CompactionTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Compaction_drops_older_actions_and_group_changes_and_raises_the_horizon()
    {
        var store = await _harness.OpenAsync();
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            for (var i = 1; i <= 4; i++)
            {
                await tx.PutRecordAsync("issue", $"i{i}", $$"""{"id":"i{{i}}"}""", ["team:1"], Ct);
                await tx.AppendActionAsync(Action($"i{i}", "team:1"), Ct);
                await tx.AddGroupChangeAsync(i, "u1", Ct);
            }

            await tx.CommitAsync(Ct);
        }

        await store.CompactAsync(2, Ct);
        // A lower horizon never moves it back.
        await store.CompactAsync(1, Ct);

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(2, snapshot.Horizon);
        Assert.Equal(4, snapshot.Head);
        Assert.Equal([3L, 4L], (await snapshot.ReadLogAsync(0, long.MaxValue, 100, Ct)).Select(e => e.SyncId));
        Assert.Equal([3L, 4L], (await snapshot.ReadVisibleLogAsync(0, long.MaxValue, ["team:1"], 100, Ct)).Select(e => e.SyncId));
        Assert.Equal([3L, 4L], (await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct)).Select(c => c.SyncId));
        // Records stay: only the log is compacted.
        Assert.Equal(4, (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Count);
    }

    [Fact]
    public async Task SyncIds_are_not_reused_after_compacting_everything()
    {
        var store = await _harness.OpenAsync();
        await CommitActionsAsync(store, "a", "b", "c");
        await store.CompactAsync(3, Ct);

        await using (var snapshot = await store.BeginReadAsync(Ct))
        {
            Assert.Empty(await snapshot.ReadLogAsync(0, long.MaxValue, 100, Ct));
            Assert.Equal(3, snapshot.Head);
            Assert.Equal(3, snapshot.Horizon);
        }

        Assert.Equal([4L], await CommitActionsAsync(store, "d"));

        await store.DisposeAsync();
        var reopened = await _harness.OpenAsync();
        Assert.Equal([5L], await CommitActionsAsync(reopened, "e"));
    }

    [Fact]
    public async Task Compacting_beyond_the_head_is_refused()
    {
        var store = await _harness.OpenAsync();
        await CommitActionsAsync(store, "a");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.CompactAsync(2, Ct));

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(0, snapshot.Horizon);
        Assert.Single(await snapshot.ReadLogAsync(0, long.MaxValue, 100, Ct));
    }
}
