using Npgsql;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>Sync actions appended by an app's own transaction on its own connection to the store's database
/// (<see cref="ITetherLogAppender"/>), beside Tether's writers.</summary>
public sealed class LogAppenderTests : IAsyncLifetime
{
    private PostgresDatabase? _database;
    private PostgreSqlTetherStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _store = new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = _database.ConnectionString, LockTimeout = TimeSpan.FromMinutes(2) });
        await _store.InitializeAsync(Ct);
        await using var connection = await OpenAppAsync();
        await using var command = new NpgsqlCommand("CREATE TABLE app_issues(id text PRIMARY KEY)", connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private PostgreSqlTetherStore Store => _store ?? throw new InvalidOperationException("InitializeAsync has not run.");

    private PostgresDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    [Fact]
    public async Task An_append_committed_by_the_app_is_read_with_its_groups_and_the_writer_continues_after_it()
    {
        await CommitTetherAsync("t1", "team:1");

        ValueTask<IAsyncDisposable> entering = Store.EnterAsync(Ct);
        Assert.True(entering.IsCompleted);
        await using (IAsyncDisposable turn = await entering)
        {
            await using NpgsqlConnection app = await OpenAppAsync();
            await using NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct);
            await InsertAppRowAsync(app, "a1");
            long head = await Store.LockHeadAsync(app, transaction, Ct);
            Assert.Equal(1L, head);
            Assert.Equal(head, await Store.LockHeadAsync(app, transaction, Ct));
            await Store.AppendAsync(app, transaction, new WriteBatch
            {
                Actions = [Action(head + 1, "a1", "team:1", "team:new"), Action(head + 2, "a2", "user:7")],
                GroupChanges = [new GroupChange(head + 1, "u7")],
            }, Ct);
            await transaction.CommitAsync(Ct);
        }

        await CommitTetherAsync("t2", "team:new");
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(4L, snapshot.Head);
        Assert.Equal(["1 t1 team:1", "2 a1 team:1,team:new", "3 a2 user:7", "4 t2 team:new"], (await snapshot.ReadLogAsync(0, 4, 100, Ct)).Select(Describe));
        Assert.Equal([2L, 4L], (await snapshot.ReadVisibleLogAsync(0, 4, ["team:new"], 100, Ct)).Select(entry => entry.SyncId));
        Assert.Equal([new GroupChange(2, "u7")], await snapshot.ReadGroupChangesAsync(0, 4, Ct));
        Assert.Equal(1L, await AppRowsAsync(snapshot));
    }

    [Fact]
    public async Task An_append_the_app_rolls_back_leaves_nothing_and_the_writer_continues_without_a_hole()
    {
        await CommitTetherAsync("t1", "team:1");

        await using (NpgsqlConnection app = await OpenAppAsync())
        await using (NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct))
        {
            await InsertAppRowAsync(app, "a1");
            long head = await Store.LockHeadAsync(app, transaction, Ct);
            await Store.AppendAsync(app, transaction, new WriteBatch
            {
                Actions = [Action(head + 1, "a1", "team:ghost")],
                GroupChanges = [new GroupChange(head + 1, "u7")],
            }, Ct);
            await transaction.RollbackAsync(Ct);
        }

        await using (ITetherReadSnapshot between = await Store.BeginReadAsync(Ct))
        {
            Assert.Equal(1L, between.Head);
        }
        await CommitTetherAsync("t2", "team:ghost");
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(["1 t1 team:1", "2 t2 team:ghost"], (await snapshot.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
        Assert.Empty(await snapshot.ReadGroupChangesAsync(0, 10, Ct));
        Assert.Equal(0L, await AppRowsAsync(snapshot));
    }

    [Fact]
    public async Task Tether_writes_and_app_appends_from_many_connections_at_once_make_one_log_without_a_hole()
    {
        const int Rounds = 8;
        IEnumerable<Task> writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                await CommitTetherAsync($"t{w}-{round}", $"team:{w}");
            }
        }));
        IEnumerable<Task> apps = Enumerable.Range(0, 3).Select(a => Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                await AppendAsync(head => new WriteBatch { Actions = [Action(head + 1, $"a{a}-{round}-x", $"app:{a}"), Action(head + 2, $"a{a}-{round}-y", $"app:{a}")] });
            }
        }));
        await Task.WhenAll(writers.Concat(apps));

        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
        int total = 3 * Rounds + 3 * Rounds * 2;
        Assert.Equal(total, snapshot.Head);
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), log.Select(entry => entry.SyncId));
        Assert.Equal(total, log.Select(entry => entry.ModelId).Distinct().Count());
        Assert.All(log, entry => Assert.Equal(entry.ModelId[0] == 't' ? $"team:{entry.ModelId[1]}" : $"app:{entry.ModelId[1]}", Assert.Single(entry.SyncGroups)));
    }

    [Fact]
    public async Task A_snapshot_opened_while_an_app_transaction_is_open_does_not_see_its_append()
    {
        await CommitTetherAsync("t1", "team:1");
        await using NpgsqlConnection app = await OpenAppAsync();
        await using NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct);
        long head = await Store.LockHeadAsync(app, transaction, Ct);
        await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:1")] }, Ct);

        await using ITetherReadSnapshot during = await Store.BeginReadAsync(Ct);
        Assert.Equal(1L, during.Head);
        await transaction.CommitAsync(Ct);
        Assert.Equal(["1 t1 team:1"], (await during.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
        Assert.Empty(await during.ReadVisibleLogAsync(1, 10, ["team:1"], 100, Ct));

        await using ITetherReadSnapshot after = await Store.BeginReadAsync(Ct);
        Assert.Equal(2L, after.Head);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_batch_that_does_not_continue_the_locked_head_is_refused_before_anything_is_written(int offset)
    {
        await CommitTetherAsync("t1", "team:1");
        await using NpgsqlConnection app = await OpenAppAsync();
        await using NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(2, "a1", "team:refused")] }, Ct));

        long head = await Store.LockHeadAsync(app, transaction, Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + offset, "a1", "team:refused")], GroupChanges = [new GroupChange(head + offset, "u7")] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Records = [new RecordWrite("issue", "a1", """{"id":"a1"}""", ["team:refused"])] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Clients = [new ClientState("c1", "u1", 1)] }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:refused")], Rejections = [new StoredRejection("c1", 1, "x", "y")] }, Ct));

        // Still in the app's transaction, which sees its own writes and is not aborted: none of the refused batches wrote anything.
        await using (var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM tether_actions), (SELECT count(*) FROM tether_groups WHERE name = 'team:refused'), " +
            "(SELECT count(*) FROM tether_group_changes), (SELECT count(*) FROM tether_records), (SELECT sync_id FROM tether_head)", app))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(Ct))
        {
            Assert.True(await reader.ReadAsync(Ct));
            Assert.Equal((1L, 0L, 0L, 0L, 1L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }
        await Store.AppendAsync(app, transaction, new WriteBatch { Actions = [Action(head + 1, "a1", "team:1")] }, Ct);
        await transaction.CommitAsync(Ct);

        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(["1 t1 team:1", "2 a1 team:1"], (await snapshot.ReadLogAsync(0, 10, 100, Ct)).Select(Describe));
    }

    [Fact]
    public async Task An_app_commit_notifies_every_listening_node_of_its_head()
    {
        await using NpgsqlConnection listener = await OpenAppAsync();
        var heads = new List<string>();
        listener.Notification += (_, e) => heads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN tether_commits", listener))
        {
            await listen.ExecuteNonQueryAsync(Ct);
        }

        await AppendAsync(head => new WriteBatch { Actions = [Action(head + 1, "a1", "team:1"), Action(head + 2, "a2", "team:1")] });

        // The bound only turns a lost notification into a failure instead of a hang.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(TimeSpan.FromMinutes(1));
        while (heads.Count == 0)
        {
            await listener.WaitAsync(bound.Token);
        }
        Assert.Equal(["2"], heads);
    }

    [Fact]
    public async Task An_app_transaction_waits_for_the_head_lock_at_most_the_stores_lock_timeout()
    {
        await using var impatient = new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = Database.ConnectionString, LockTimeout = TimeSpan.FromMilliseconds(100) });
        await using ITetherWriteTransaction holder = await Store.BeginWriteAsync(Ct);

        await using NpgsqlConnection app = await OpenAppAsync();
        await using NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct);
        PostgresException error = await Assert.ThrowsAsync<PostgresException>(async () => await impatient.LockHeadAsync(app, transaction, Ct));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, error.SqlState);
    }

    private async Task<NpgsqlConnection> OpenAppAsync()
    {
        var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    /// <summary>One app transaction that appends the batch built from the head it locked, and commits.</summary>
    private async Task AppendAsync(Func<long, WriteBatch> build)
    {
        await using IAsyncDisposable turn = await Store.EnterAsync(Ct);
        await using NpgsqlConnection app = await OpenAppAsync();
        await using NpgsqlTransaction transaction = await app.BeginTransactionAsync(Ct);
        long head = await Store.LockHeadAsync(app, transaction, Ct);
        await Store.AppendAsync(app, transaction, build(head), Ct);
        await transaction.CommitAsync(Ct);
    }

    private async Task CommitTetherAsync(string modelId, string group)
    {
        await using ITetherWriteTransaction transaction = await Store.BeginWriteAsync(Ct);
        await transaction.CommitAsync(new WriteBatch { Actions = [Action(transaction.Head + 1, modelId, group)] }, Ct);
    }

    private static LogEntry Action(long syncId, string modelId, params string[] groups) =>
        new(syncId, "insert", "issue", modelId, $$"""{"id":"{{modelId}}"}""", groups, null, null);

    private static string Describe(LogEntry entry) => $"{entry.SyncId} {entry.ModelId} {string.Join(',', entry.SyncGroups)}";

    private static async Task InsertAppRowAsync(NpgsqlConnection app, string id)
    {
        await using var command = new NpgsqlCommand("INSERT INTO app_issues(id) VALUES(@id)", app);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<long> AppRowsAsync(ITetherReadSnapshot snapshot)
    {
        var connection = (IStoreConnection)snapshot;
        await using var command = connection.Connection.CreateCommand();
        command.Transaction = connection.Transaction;
        command.CommandText = "SELECT count(*) FROM app_issues";
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
