using System.Text;
using Microsoft.Data.Sqlite;
using Tether.Server.Sqlite.Internal;
using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

/// <summary>A store file of the first layout (unprefixed tables, the schema version in user_version) is adopted in
/// place, with its data, once, in one transaction.</summary>
public sealed class FirstLayoutAdoptionTests : IAsyncDisposable
{
    // The first layout's two steps as they shipped, so that the test builds the files the field has.
    private const string FirstLayoutStep1 =
        """
        CREATE TABLE groups(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE records(model TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY(model, id));
        CREATE TABLE record_groups(model TEXT NOT NULL, id TEXT NOT NULL, group_id INTEGER NOT NULL, PRIMARY KEY(model, id, group_id)) WITHOUT ROWID;
        CREATE INDEX record_groups_by_group ON record_groups(group_id, model, id);
        CREATE TABLE actions(sync_id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, model TEXT NOT NULL, model_id TEXT NOT NULL,
            data TEXT, client_id TEXT, mutation_id INTEGER);
        CREATE TABLE action_groups(sync_id INTEGER NOT NULL, group_id INTEGER NOT NULL, PRIMARY KEY(sync_id, group_id)) WITHOUT ROWID;
        CREATE INDEX action_groups_by_group ON action_groups(group_id, sync_id);
        CREATE TABLE group_changes(sync_id INTEGER NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY(sync_id, user_id)) WITHOUT ROWID;
        CREATE TABLE clients(client_id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL, last_mutation_id INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE meta(key TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO meta(key, value) VALUES('horizon', 0);
        PRAGMA user_version = 1;
        """;

    private const string FirstLayoutStep2 =
        """
        CREATE TABLE rejections(client_id TEXT NOT NULL, mutation_id INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
            PRIMARY KEY(client_id, mutation_id)) WITHOUT ROWID;
        PRAGMA user_version = 2;
        """;

    // Five actions of which compaction dropped the first two (the horizon is 2, sqlite_sequence holds the head 5).
    private const string Data =
        """
        INSERT INTO groups(id, name) VALUES(1, 'team:1'), (2, 'user:7');
        INSERT INTO records(model, id, data) VALUES('issue', 'i1', '{"id":"i1","title":"one"}'), ('issue', 'i2', '{"id":"i2"}');
        INSERT INTO record_groups(model, id, group_id) VALUES('issue', 'i1', 1), ('issue', 'i1', 2), ('issue', 'i2', 1);
        INSERT INTO actions(sync_id, action, model, model_id, data, client_id, mutation_id) VALUES
            (1, 'insert', 'issue', 'i0', '{"id":"i0"}', 'c1', 1),
            (2, 'insert', 'issue', 'i1', '{"id":"i1"}', 'c1', 2),
            (3, 'update', 'issue', 'i1', '{"id":"i1","title":"one"}', 'c1', 3),
            (4, 'delete', 'issue', 'i0', NULL, 'c1', 4),
            (5, 'insert', 'issue', 'i2', '{"id":"i2"}', NULL, NULL);
        INSERT INTO action_groups(sync_id, group_id) VALUES(1, 1), (2, 1), (3, 1), (3, 2), (4, 1), (5, 1);
        INSERT INTO group_changes(sync_id, user_id) VALUES(3, 'u7');
        INSERT INTO clients(client_id, user_id, last_mutation_id) VALUES('c1', 'u1', 4);
        DELETE FROM action_groups WHERE sync_id <= 2;
        DELETE FROM actions WHERE sync_id <= 2;
        UPDATE meta SET value = 2 WHERE key = 'horizon';
        """;

    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_file_of_the_first_layout_is_adopted_with_its_records_log_clients_and_refusals()
    {
        CreateFirstLayoutFile(FirstLayoutStep1 + FirstLayoutStep2 + Data +
            "INSERT INTO rejections(client_id, mutation_id, code, message) VALUES('c2', 1, 'invalid_args', 'bad title');");

        var store = await _harness.OpenAsync();
        await AssertAdoptedDataAsync(store);
        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(5L, transaction.Head);
            Assert.Equal(new StoredRejection("c2", 1, "invalid_args", "bad title"), await transaction.GetRejectionAsync("c2", 1, Ct));
            await transaction.CommitAsync(new WriteBatch
            {
                Records = [new RecordWrite("issue", "i3", """{"id":"i3"}""", ["team:1", "team:2"])],
                Actions = [new LogEntry(6, "insert", "issue", "i3", """{"id":"i3"}""", ["team:1", "team:2"], "c1", 5)],
                Clients = [new ClientState("c1", "u1", 5)],
            }, Ct);
        }

        // Opened again, the file is not adopted a second time: everything, old and new, is there once.
        await store.DisposeAsync();
        var reopened = await _harness.OpenAsync();
        await AssertAdoptedDataAsync(reopened, later: true);
        await using (var snapshot = await reopened.BeginReadAsync(Ct))
        {
            Assert.Equal(6L, snapshot.Head);
            Assert.Equal([3L, 4L, 5L, 6L], (await snapshot.ReadLogAsync(0, 6, 100, Ct)).Select(entry => entry.SyncId));
            Assert.Equal(["i1", "i2", "i3"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(record => record.Id));
            Assert.Equal(["team:1", "team:2"], (await snapshot.ReadLogAsync(5, 6, 1, Ct))[0].SyncGroups);
        }

        await reopened.DisposeAsync();
        using var connection = _harness.OpenRaw();
        Assert.Equal("", UnprefixedSchema(connection));
        Assert.Equal((long)SchemaMigrations.LatestVersion, Scalar(connection, "SELECT value FROM tether_meta WHERE key = 'schema_version';"));
        // A Tether from before the prefix reads user_version: above its two steps, it refuses the file as newer.
        Assert.Equal(3L, Scalar(connection, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task A_file_of_the_first_layouts_first_version_is_adopted_and_gets_the_refusals_table()
    {
        CreateFirstLayoutFile(FirstLayoutStep1 + Data);

        var store = await _harness.OpenAsync();
        await AssertAdoptedDataAsync(store);
        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            await transaction.CommitAsync(new WriteBatch { Rejections = [new StoredRejection("c2", 1, "invalid_args", "bad title")] }, Ct);
        }

        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            Assert.Equal(new StoredRejection("c2", 1, "invalid_args", "bad title"), await transaction.GetRejectionAsync("c2", 1, Ct));
        }

        using var connection = _harness.OpenRaw();
        Assert.Equal("", UnprefixedSchema(connection));
        Assert.Equal((long)SchemaMigrations.LatestVersion, Scalar(connection, "SELECT value FROM tether_meta WHERE key = 'schema_version';"));
    }

    [Fact]
    public async Task An_adoption_that_fails_half_way_leaves_the_file_as_it_was_and_a_later_one_succeeds()
    {
        CreateFirstLayoutFile(FirstLayoutStep1 + FirstLayoutStep2 + Data);
        using (var connection = _harness.OpenRaw())
        {
            // The adoption renames tables in order; clients comes after most of them, so the failure is half way.
            Scalar(connection, "CREATE TABLE tether_clients(x);");
        }

        string before = WholeSchema();
        await Assert.ThrowsAsync<SqliteException>(() => _harness.Create().InitializeAsync(Ct));
        Assert.Equal(before, WholeSchema());

        using (var connection = _harness.OpenRaw())
        {
            Scalar(connection, "DROP TABLE tether_clients;");
        }

        await AssertAdoptedDataAsync(await _harness.OpenAsync());
    }

    /// <summary>Asserts the first layout's data; <paramref name="later"/> says what a commit after the adoption
    /// added (a record in team:1, one more action, the client's next mutation).</summary>
    private static async Task AssertAdoptedDataAsync(SqliteTetherStore store, bool later = false)
    {
        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(later ? 6L : 5L, snapshot.Head);
        Assert.Equal(2L, snapshot.Horizon);

        var log = await snapshot.ReadLogAsync(2, 5, 100, Ct);
        Assert.Equal(
            [
                (3L, "update", "issue", "i1", """{"id":"i1","title":"one"}""", "team:1,user:7", "c1", (long?)3),
                (4L, "delete", "issue", "i0", null, "team:1", "c1", 4),
                (5L, "insert", "issue", "i2", """{"id":"i2"}""", "team:1", null, null),
            ],
            log.Select(e => (e.SyncId, e.Action, e.ModelName, e.ModelId, e.Data, string.Join(',', e.SyncGroups), e.ClientId, e.MutationId)));
        Assert.Equal([3L], (await snapshot.ReadVisibleLogAsync(2, 5, ["user:7"], 100, Ct)).Select(entry => entry.SyncId));
        Assert.Equal([new GroupChange(3, "u7")], await snapshot.ReadGroupChangesAsync(2, 5, Ct));

        var i1 = await snapshot.GetRecordAsync("issue", "i1", Ct);
        Assert.Equal("one", (string?)i1?.Data["title"]);
        Assert.Equal(["team:1", "user:7"], i1?.SyncGroups);
        Assert.Equal(["i1"], (await snapshot.ListRecordsAsync("issue", "user:7", Ct)).Select(record => record.Id));
        await using var records = snapshot.ReadRecords(["issue"], ["team:1"]);
        var ids = new List<string>();
        while (await records.ReadAsync(Ct))
        {
            ids.Add(Encoding.UTF8.GetString(records.Id));
        }
        Assert.Equal(later ? ["i1", "i2", "i3"] : ["i1", "i2"], ids);
        Assert.Equal(new ClientState("c1", "u1", later ? 5 : 4), await snapshot.GetClientAsync("c1", Ct));
    }

    private void CreateFirstLayoutFile(string sql)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_harness.DatabasePath)!);
        using var connection = _harness.OpenRaw();
        Scalar(connection, "PRAGMA journal_mode = WAL;");
        Scalar(connection, sql);
    }

    /// <summary>The tables and indexes of the database that have no tether_ prefix (SQLite's own aside).</summary>
    private static string UnprefixedSchema(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(name, ', ') FROM sqlite_master WHERE name NOT LIKE 'tether\\_%' ESCAPE '\\' " +
            "AND name <> 'sqlite_sequence' AND name NOT LIKE 'sqlite\\_autoindex\\_tether\\_%' ESCAPE '\\'";
        return command.ExecuteScalar() as string ?? "";
    }

    private string WholeSchema()
    {
        using var connection = _harness.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(type || ' ' || name || ': ' || ifnull(sql, ''), char(10)) FROM (SELECT * FROM sqlite_master ORDER BY name)";
        return $"{command.ExecuteScalar()}\nuser_version {Scalar(connection, "PRAGMA user_version;")}\nhead {Scalar(connection, "SELECT seq FROM sqlite_sequence")}";
    }
}
