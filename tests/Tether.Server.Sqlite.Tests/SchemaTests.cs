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

        using var connection = _harness.OpenRaw();
        Assert.Equal((long)SchemaMigrations.LatestVersion, Scalar(connection, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(0L, Scalar(connection, "SELECT value FROM meta WHERE key = 'horizon';"));
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
