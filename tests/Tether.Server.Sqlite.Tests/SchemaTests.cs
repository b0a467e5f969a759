using Microsoft.Data.Sqlite;
using Tether.Server.Sqlite.Internal;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class SchemaTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_new_file_gets_the_latest_schema_version_in_wal_mode()
    {
        var store = await _harness.OpenAsync();
        await store.DisposeAsync();

        using var connection = OpenRaw();
        Assert.Equal((long)SchemaMigrations.LatestVersion, Scalar(connection, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(0L, Scalar(connection, "SELECT value FROM meta WHERE key = 'horizon';"));
    }

    [Fact]
    public async Task Data_and_lastMutationIds_survive_reopening_the_file()
    {
        var store = await _harness.OpenAsync(o => o.Synchronous = SqliteSynchronous.Normal);
        await using (var tx = await store.BeginWriteAsync(Ct))
        {
            await tx.PutRecordAsync("issue", "i1", """{"id":"i1","title":"kept"}""", ["team:1"], Ct);
            await tx.AppendActionAsync(Action("i1", "team:1"), Ct);
            await tx.SetLastMutationIdAsync("c1", "u1", 7, Ct);
            await tx.CommitAsync(Ct);
        }

        await store.DisposeAsync();
        var reopened = await _harness.OpenAsync();

        await using var snapshot = await reopened.BeginReadAsync(Ct);
        Assert.Equal(1, snapshot.Head);
        var record = await snapshot.GetRecordAsync("issue", "i1", Ct);
        Assert.NotNull(record);
        Assert.Equal("kept", (string?)record.Data["title"]);
        Assert.Equal(["team:1"], record.SyncGroups);
        Assert.Equal(7, (await snapshot.GetClientAsync("c1", Ct))?.LastMutationId);
        Assert.Equal(["team:1"], (await snapshot.ReadLogAsync(0, 1, 10, Ct)).Single().SyncGroups);
    }

    [Fact]
    public async Task A_database_from_a_newer_schema_version_is_refused()
    {
        var store = await _harness.OpenAsync();
        await store.DisposeAsync();
        using (var connection = OpenRaw())
        {
            Scalar(connection, $"PRAGMA user_version = {SchemaMigrations.LatestVersion + 1};");
        }

        var newer = _harness.Create();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(Ct));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {SchemaMigrations.LatestVersion + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Using_the_store_before_initializing_it_fails_clearly()
    {
        var store = _harness.Create();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.BeginWriteAsync(Ct));
        Assert.Contains("InitializeAsync", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_harness.DatabasePath));
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _harness.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
