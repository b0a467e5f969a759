using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

/// <summary>Sync actions appended by an app's own transaction on its own connection to the store's file
/// (<see cref="ITetherLogAppender"/>), beside Tether's writer.</summary>
public sealed class LogAppenderTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task An_append_committed_by_the_app_is_read_with_its_groups_and_the_writer_continues_after_it()
    {
        var store = await OpenAsync();
        await CommitTetherAsync(store, "t1", "team:1");

        await using (var turn = await store.EnterAsync(Ct))
        {
            using var app = OpenApp();
            using var transaction = app.BeginTransaction();
            InsertAppRow(app, transaction, "a1");
            long head = await store.LockHeadAsync(app, transaction, Ct);
            Assert.Equal(1L, head);
            Assert.Equal(head, await store.LockHeadAsync(app, transaction, Ct));
            await store.AppendAsync(app, transaction, new WriteBatch
            {
                Actions = [Action(head + 1, "a1", "team:1", "team:new"), Action(head + 2, "a2", "user:7")],
                GroupChanges = [new GroupChange(head + 1, "u7")],
            }, Ct);
            transaction.Commit();
        }

        await CommitTetherAsync(store, "t2", "team:new");
        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(4L, snapshot.Head);
        var log = await snapshot.ReadLogAsync(0, 4, 100, Ct);
        Assert.Equal(["1 t1 team:1", "2 a1 team:1,team:new", "3 a2 user:7", "4 t2 team:new"], log.Select(Describe));
        Assert.Equal([2L, 4L], (await snapshot.ReadVisibleLogAsync(0, 4, ["team:new"], 100, Ct)).Select(entry => entry.SyncId));
        Assert.Equal([new GroupChange(2, "u7")], await snapshot.ReadGroupChangesAsync(0, 4, Ct));
        Assert.Equal(1L, AppRows(snapshot));
    }

    [Fact]
    public async Task An_append_the_app_rolls_back_leaves_nothing_and_the_writer_continues_without_a_hole()
    {
        var store = await OpenAsync();
        await CommitTetherAsync(store, "t1", "team:1");

        await using (var turn = await store.EnterAsync(Ct))
        {
            using var app = OpenApp();
            using var transaction = app.BeginTransaction();
            InsertAppRow(app, transaction, "a1");
            long head = await store.LockHeadAsync(app, transaction, Ct);
            await store.AppendAsync(app, transaction, new WriteBatch
            {
                Actions = [Action(head + 1, "a1", "team:ghost")],
                GroupChanges = [new GroupChange(head + 1, "u7")],
            }, Ct);
            transaction.Rollback();
        }

        // The group the rolled-back append interned is gone; its id may go to another name now, and a group of the
        // same name made later must still be found by its own id.
        await AppendAsync(store, head => new WriteBatch { Actions = [Action(head + 1, "a2", "team:other")] });
        await CommitTetherAsync(store, "t2", "team:ghost");
        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["1 t1 team:1", "2 a2 team:other", "3 t2 team:ghost"], (await snapshot.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
        Assert.Equal([3L], (await snapshot.ReadVisibleLogAsync(0, 10, ["team:ghost"], 100, Ct)).Select(entry => entry.SyncId));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(0, 10, Ct));
        Assert.Equal(0L, AppRows(snapshot));
    }

    [Fact]
    public async Task Tether_writes_and_app_appends_from_many_connections_at_once_make_one_log_without_a_hole()
    {
        var store = await OpenAsync();
        const int Rounds = 8;
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                await CommitTetherAsync(store, $"t{w}-{round}", $"team:{w}");
            }
        }));
        var apps = Enumerable.Range(0, 3).Select(a => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                // Half of them begin DEFERRED: LockHeadAsync must then take the write lock itself.
                await AppendAsync(store, head => new WriteBatch { Actions = [Action(head + 1, $"a{a}-{round}-x", $"app:{a}"), Action(head + 2, $"a{a}-{round}-y", $"app:{a}")] },
                    deferred: round % 2 == 0);
            }
        }));
        await Task.WhenAll(writers.Concat(apps));

        await using var snapshot = await store.BeginReadAsync(Ct);
        var log = await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
        int total = 3 * Rounds + 3 * Rounds * 2;
        Assert.Equal(total, snapshot.Head);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), log.Select(entry => entry.SyncId));
        Assert.Equal(total, log.Select(entry => entry.ModelId).Distinct().Count());
        Assert.All(log, entry => Assert.Equal(entry.ModelId[0] == 't' ? $"team:{entry.ModelId[1]}" : $"app:{entry.ModelId[1]}", Assert.Single(entry.SyncGroups)));
    }

    [Fact]
    public async Task A_snapshot_opened_while_an_app_transaction_is_open_does_not_see_its_append()
    {
        var store = await OpenAsync();
        await CommitTetherAsync(store, "t1", "team:1");

        await using var turn = await store.EnterAsync(Ct);
        using var app = OpenApp();
        using var transaction = app.BeginTransaction();
        long head = await store.LockHeadAsync(app, transaction, Ct);
        await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:1")] }, Ct);

        await using var during = await store.BeginReadAsync(Ct);
        Assert.Equal(1L, during.Head);
        transaction.Commit();
        Assert.Equal(["1 t1 team:1"], (await during.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
        Assert.Empty(await during.ReadVisibleLogAsync(1, 10, ["team:1"], 100, Ct));

        await using var after = await store.BeginReadAsync(Ct);
        Assert.Equal(2L, after.Head);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_batch_that_does_not_continue_the_locked_head_is_refused_before_anything_is_written(int offset)
    {
        var store = await OpenAsync();
        await CommitTetherAsync(store, "t1", "team:1");

        await using var turn = await store.EnterAsync(Ct);
        using var app = OpenApp();
        using var transaction = app.BeginTransaction();
        long head = await store.LockHeadAsync(app, transaction, Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + offset, "a1", "team:refused")], GroupChanges = [new GroupChange(head + offset, "u7")] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Records = [new RecordWrite("issue", "a1", """{"id":"a1"}""", ["team:refused"])] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Clients = [new ClientState("c1", "u1", 1)] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Rejections = [new StoredRejection("c1", 1, "x", "y")] }, Ct));

        // Still in the app's transaction, which sees its own writes: none of the refused batches wrote anything.
        Assert.Equal((1L, 0L, 0L, 0L), (
            Count(app, transaction, "SELECT count(*) FROM tether_actions"),
            Count(app, transaction, "SELECT count(*) FROM tether_groups WHERE name = 'team:refused'"),
            Count(app, transaction, "SELECT count(*) FROM tether_group_changes"),
            Count(app, transaction, "SELECT count(*) FROM tether_records")));
        await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:1")] }, Ct);
        transaction.Commit();
        await turn.DisposeAsync();

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["1 t1 team:1", "2 a1 team:1"], (await snapshot.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
    }

    [Fact]
    public async Task While_an_app_holds_the_writers_turn_a_Tether_write_waits_and_begins_once_it_is_released()
    {
        var store = await OpenAsync();
        var turn = await store.EnterAsync(Ct);

        var write = store.BeginWriteAsync(Ct).AsTask();
        Assert.False(write.IsCompleted);
        await turn.DisposeAsync();
        await using (var transaction = await write)
        {
            // Released twice, the turn must not let a second writer in beside the first.
            await turn.DisposeAsync();
            var second = store.EnterAsync(Ct).AsTask();
            Assert.False(second.IsCompleted);
            await transaction.CommitAsync(new WriteBatch { Actions = [Action(transaction.Head + 1, "t1", "team:1")] }, Ct);
            await transaction.DisposeAsync();
            await (await second).DisposeAsync();
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(1L, snapshot.Head);
    }

    [Fact]
    public async Task A_deferred_app_transaction_holds_the_write_lock_from_LockHead_on_so_a_Tether_write_waits_for_its_commit()
    {
        var store = await OpenAsync();
        using var app = OpenApp();
        using var transaction = app.BeginTransaction(deferred: true);
        // A read first: the transaction now holds a snapshot of the file, and no lock that keeps writers out.
        Assert.Equal(0L, Count(app, transaction, "SELECT count(*) FROM tether_actions"));
        long head = await store.LockHeadAsync(app, transaction, Ct);

        using (var other = OpenApp())
        {
            // Straight through SQLite, without the retries Microsoft.Data.Sqlite adds: the lock is held, so this is refused at once.
            Assert.Equal(raw.SQLITE_BUSY, raw.sqlite3_exec(other.Handle, "BEGIN IMMEDIATE"));
        }

        // The writer waits in SQLite's busy handler on its own thread; the app meets no SQLITE_BUSY meanwhile.
        var write = Task.Run(async () =>
        {
            await using var tether = await store.BeginWriteAsync(Ct);
            long tetherHead = tether.Head;
            await tether.CommitAsync(new WriteBatch { Actions = [Action(tetherHead + 1, "t1", "team:1")] }, Ct);
            return tetherHead;
        });
        InsertAppRow(app, transaction, "a1");
        await store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:1")] }, Ct);
        Assert.False(write.IsCompleted);
        transaction.Commit();

        Assert.Equal(1L, await write);
        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["1 a1 team:1", "2 t1 team:1"], (await snapshot.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
    }

    private async Task<SqliteTetherStore> OpenAsync()
    {
        // Waits on the file lock in these tests end when the other side commits; the timeout only bounds a failure.
        var store = await _harness.OpenAsync(options => options.BusyTimeout = TimeSpan.FromMinutes(2));
        using var connection = _harness.OpenRaw();
        Scalar(connection, "CREATE TABLE app_issues(id TEXT PRIMARY KEY)");
        return store;
    }

    /// <summary>A connection of the app's own, as its data layer would open it.</summary>
    private SqliteConnection OpenApp()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _harness.DatabasePath, Pooling = false, DefaultTimeout = 120 }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>One app transaction that appends the batch built from the head it locked, and commits.</summary>
    private async Task AppendAsync(SqliteTetherStore store, Func<long, WriteBatch> build, bool deferred = false)
    {
        await using var turn = await store.EnterAsync(Ct);
        using var app = OpenApp();
        using var transaction = app.BeginTransaction(deferred);
        long head = await store.LockHeadAsync(app, transaction, Ct);
        await store.AppendAsync(app, transaction, build(head), Ct);
        transaction.Commit();
    }

    private static async Task CommitTetherAsync(SqliteTetherStore store, string modelId, string group)
    {
        await using var transaction = await store.BeginWriteAsync(Ct);
        await transaction.CommitAsync(new WriteBatch { Actions = [Action(transaction.Head + 1, modelId, group)] }, Ct);
    }

    private static LogEntry Action(long syncId, string modelId, params string[] groups) =>
        new(syncId, "insert", "issue", modelId, $$"""{"id":"{{modelId}}"}""", groups, null, null);

    private static string Describe(LogEntry entry) => $"{entry.SyncId} {entry.ModelId} {string.Join(',', entry.SyncGroups)}";

    private static void InsertAppRow(SqliteConnection app, SqliteTransaction transaction, string id)
    {
        using var command = app.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO app_issues(id) VALUES($id)";
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    private static long AppRows(ITetherReadSnapshot snapshot)
    {
        using var command = ((IStoreConnection)snapshot).Connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM app_issues";
        return (long)command.ExecuteScalar()!;
    }

    private static long Count(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
