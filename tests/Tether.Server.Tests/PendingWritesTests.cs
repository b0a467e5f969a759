using Tether.Server.Internal.Pipeline;
using Tether.Server.Sqlite;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>The pipeline's buffer of a batch's writes, over a real SQLite store: reads see the batch's earlier writes
/// over the committed state, syncIds follow the head, and a rollback to a mark drops exactly what came after it.</summary>
public sealed class PendingWritesTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TempDirectory _directory = new();
    private SqliteTetherStore _store = null!;

    public async ValueTask InitializeAsync()
    {
        _store = new SqliteTetherStore(new SqliteStoreOptions { Path = Path.Combine(_directory.Path, "tether.db") });
        await _store.InitializeAsync(Ct);
        await using ITetherWriteTransaction seed = await _store.BeginWriteAsync(Ct);
        await seed.CommitAsync(new WriteBatch
        {
            Records = [Issue("b", "team:1"), Issue("d", "team:1"), Issue("x", "team:2")],
            Actions = [new LogEntry(1, "insert", "issue", "b", "{}", ["team:1"], "c0", 1)],
            Clients = [new ClientState("c1", "u1", 4)],
            Rejections = [new StoredRejection("c1", 2, "invalid_args", "Two."), new StoredRejection("c1", 4, "invalid_args", "Four.")],
        }, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Lists_by_group_show_the_batchs_own_puts_and_deletes_over_the_store_in_id_order()
    {
        await using ITetherWriteTransaction transaction = await _store.BeginWriteAsync(Ct);
        var writes = new PendingWrites(transaction);

        writes.PutRecord("issue", "c", """{"id":"c"}""", ["team:1"]);
        writes.PutRecord("issue", "a", """{"id":"a"}""", ["team:1", "team:2"]);
        writes.DeleteRecord("issue", "d");
        writes.PutRecord("issue", "x", """{"id":"x","moved":true}""", ["team:1"]);

        Assert.Equal(["a", "b", "c", "x"], (await writes.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(["a"], (await writes.ListRecordsAsync("issue", "team:2", Ct)).Select(r => r.Id));
        Assert.Null(await writes.GetRecordAsync("issue", "d", Ct));
        Assert.Equal(true, (bool?)(await writes.GetRecordAsync("issue", "x", Ct))?.Data["moved"]);
        Assert.Equal(["team:1", "team:2"], (await writes.GetRecordAsync("issue", "a", Ct))?.SyncGroups);
    }

    [Fact]
    public async Task SyncIds_follow_the_head_and_a_rollback_to_a_mark_drops_exactly_what_came_after_it()
    {
        await using (ITetherWriteTransaction transaction = await _store.BeginWriteAsync(Ct))
        {
            var writes = new PendingWrites(transaction);
            Assert.Equal(2, writes.AppendAction("insert", "issue", "kept", "{}", ["team:1"], "c1", 5));
            writes.PutRecord("issue", "kept", """{"id":"kept"}""", ["team:1"]);
            writes.SetLastMutationId("c1", "u1", 5);

            WriteMark mark = writes.Mark();
            Assert.Equal(3, writes.AppendAction("insert", "issue", "dropped", "{}", ["team:1"], "c1", 6));
            writes.AddGroupChange(3, "u1");
            writes.PutRecord("issue", "dropped", """{"id":"dropped"}""", ["team:1"]);
            writes.PutRecord("issue", "kept", """{"id":"kept","changed":true}""", ["team:1"]);
            writes.DeleteRecord("issue", "b");
            writes.SetLastMutationId("c1", "u1", 6);
            writes.AddRejection("c1", 6, "invalid_args", "Six.");
            writes.ForgetRejectionsBefore("c1", 5);
            Assert.Null(await writes.GetRejectionAsync("c1", 4, Ct));
            writes.RollbackTo(mark);

            Assert.Equal(2, writes.Head);
            Assert.Null(await writes.GetRecordAsync("issue", "dropped", Ct));
            Assert.Null((await writes.GetRecordAsync("issue", "kept", Ct))?.Data["changed"]);
            Assert.NotNull(await writes.GetRecordAsync("issue", "b", Ct));
            Assert.Equal(5, (await writes.GetClientAsync("c1", Ct))?.LastMutationId);
            Assert.Null(await writes.GetRejectionAsync("c1", 6, Ct));
            Assert.Equal("Four.", (await writes.GetRejectionAsync("c1", 4, Ct))?.Message);
            Assert.Equal(3, writes.AppendAction("insert", "issue", "next", "{}", ["team:1"], "c1", 6));
            await writes.CommitAsync(Ct);
        }

        await using ITetherReadSnapshot snapshot = await _store.BeginReadAsync(Ct);
        Assert.Equal([(1L, "b"), (2L, "kept"), (3L, "next")], (await snapshot.ReadLogAsync(0, long.MaxValue, 10, Ct)).Select(e => (e.SyncId, e.ModelId)));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(0, long.MaxValue, Ct));
        Assert.Equal(["b", "d", "kept"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(5, (await snapshot.GetClientAsync("c1", Ct))?.LastMutationId);
    }

    [Fact]
    public async Task Refusals_forgotten_in_the_batch_hide_the_stored_ones_and_the_batchs_own_and_new_ones_stay()
    {
        await using (ITetherWriteTransaction transaction = await _store.BeginWriteAsync(Ct))
        {
            var writes = new PendingWrites(transaction);
            writes.AddRejection("c1", 5, "invalid_args", "Five.");
            writes.ForgetRejectionsBefore("c1", 6);
            writes.AddRejection("c1", 7, "invalid_args", "Seven.");

            Assert.Null(await writes.GetRejectionAsync("c1", 2, Ct));
            Assert.Null(await writes.GetRejectionAsync("c1", 5, Ct));
            Assert.Equal("Seven.", (await writes.GetRejectionAsync("c1", 7, Ct))?.Message);
            await writes.CommitAsync(Ct);
        }

        await using ITetherWriteTransaction after = await _store.BeginWriteAsync(Ct);
        Assert.Null(await after.GetRejectionAsync("c1", 4, Ct));
        Assert.Null(await after.GetRejectionAsync("c1", 5, Ct));
        Assert.NotNull(await after.GetRejectionAsync("c1", 7, Ct));
    }

    private static RecordWrite Issue(string id, params string[] groups) => new("issue", id, $$"""{"id":"{{id}}"}""", groups);
}
