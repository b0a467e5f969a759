using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

/// <summary>The store added to an app's existing database: its tables are created beside the app's, which stay as
/// they were (the whole store specification also runs in such a file: <see cref="SqliteStoreInAppDatabaseSpecificationTests"/>).</summary>
public sealed class AppDatabaseTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task The_store_syncs_inside_an_apps_database_and_leaves_its_tables_rows_and_user_version_as_they_were()
    {
        AppDatabase.Create(_harness.DatabasePath);
        string before = AppDatabase.Describe(_harness.DatabasePath);

        var store = await _harness.OpenAsync();
        await using (var snapshot = await store.BeginReadAsync(Ct))
        {
            // The app's AUTOINCREMENT table named actions is at 42 in sqlite_sequence; the store's log is empty.
            Assert.Equal((0L, 0L), (snapshot.Head, snapshot.Horizon));
            Assert.Null(await snapshot.GetClientAsync("c1", Ct));
        }

        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            await transaction.CommitAsync(new WriteBatch
            {
                Records = [new RecordWrite("issue", "i1", """{"id":"i1"}""", ["admins"])],
                Actions = [new LogEntry(1, "insert", "issue", "i1", """{"id":"i1"}""", ["admins"], "c1", 1)],
                Clients = [new ClientState("c1", "u1", 1)],
                Rejections = [new StoredRejection("c1", 0, "invalid_args", "no")],
            }, Ct);
        }

        await store.CompactAsync(1, Ct);
        await store.DisposeAsync();
        var reopened = await _harness.OpenAsync();
        await using (var snapshot = await reopened.BeginReadAsync(Ct))
        {
            Assert.Equal((1L, 1L), (snapshot.Head, snapshot.Horizon));
            Assert.Equal(["admins"], (await snapshot.GetRecordAsync("issue", "i1", Ct))?.SyncGroups);
            Assert.Equal(new ClientState("c1", "u1", 1), await snapshot.GetClientAsync("c1", Ct));
        }

        await reopened.DisposeAsync();
        Assert.Equal(before, AppDatabase.Describe(_harness.DatabasePath));
        using var connection = _harness.OpenRaw();
        Assert.Equal(AppDatabase.UserVersion, Scalar(connection, "PRAGMA user_version;"));
    }
}
