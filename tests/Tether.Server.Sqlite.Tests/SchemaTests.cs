using Tether.Server.Sqlite.Internal;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class SchemaTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_new_file_gets_the_latest_schema_version_in_tether_meta_and_wal_mode()
    {
        var store = await _harness.OpenAsync();
        await store.DisposeAsync();

        using var connection = _harness.OpenRaw();
        Assert.Equal((long)SchemaMigrations.LatestVersion, Scalar(connection, "SELECT value FROM tether_meta WHERE key = 'schema_version';"));
        Assert.Equal(0L, Scalar(connection, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(0L, Scalar(connection, "SELECT value FROM tether_meta WHERE key = 'horizon';"));
    }

    [Fact]
    public async Task Every_table_and_index_of_the_store_has_the_tether_prefix()
    {
        var store = await _harness.OpenAsync();
        await store.DisposeAsync();

        using var connection = _harness.OpenRaw();
        using var command = connection.CreateCommand();
        // sqlite_sequence is SQLite's own table; sqlite_autoindex_* are the indexes of the tables' keys, named by SQLite.
        command.CommandText = "SELECT name FROM sqlite_master WHERE name <> 'sqlite_sequence' AND name NOT LIKE 'sqlite\\_autoindex\\_tether\\_%' ESCAPE '\\'";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        Assert.Equal(12, names.Count);
        Assert.All(names, name => Assert.StartsWith("tether_", name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Using_the_store_before_initializing_it_fails_clearly()
    {
        var store = _harness.Create();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.BeginWriteAsync(Ct));
        Assert.Contains("InitializeAsync", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_harness.DatabasePath));
    }
}
