using Tether.Client.Sqlite.Internal;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

public sealed class SchemaTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_new_file_gets_the_latest_schema_version_and_wal()
    {
        var store = await _harness.OpenAsync();
        await store.DisposeAsync();

        using var raw = _harness.OpenRaw();
        Assert.Equal((long)LocalSchema.LatestVersion, Scalar(raw, "PRAGMA user_version;"));
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode;"));
        Assert.Equal(3L, Scalar(raw,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('records', 'pending', 'meta')"));
    }

    [Fact]
    public async Task Reopening_a_current_file_keeps_its_data_and_version()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")] }, Ct);

        store = await _harness.ReopenAsync(store);

        Assert.Single((await store.LoadAsync(Ct)).Records);
        await store.DisposeAsync();
        using var raw = _harness.OpenRaw();
        Assert.Equal((long)LocalSchema.LatestVersion, Scalar(raw, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task A_database_from_a_newer_schema_version_is_refused()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")] }, Ct);
        await store.DisposeAsync();
        var newer = LocalSchema.LatestVersion + 1;
        using (var raw = _harness.OpenRaw())
        {
            Scalar(raw, $"PRAGMA user_version = {newer};");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.OpenAsync());

        Assert.Contains($"schema version {newer}", error.Message);
        Assert.Contains(_harness.DatabasePath, error.Message);
        // Refusing changed nothing: the version and the data are still there.
        using (var raw = _harness.OpenRaw())
        {
            Assert.Equal((long)newer, Scalar(raw, "PRAGMA user_version;"));
            Assert.Equal(1L, Scalar(raw, "SELECT count(*) FROM records"));
        }
    }

    [Theory]
    [InlineData(LocalSynchronous.Full, 2L)]
    [InlineData(LocalSynchronous.Normal, 1L)]
    public async Task The_synchronous_setting_is_applied_to_the_connection(LocalSynchronous synchronous, long pragmaValue)
    {
        var store = await _harness.OpenAsync(o => o.Synchronous = synchronous);

        Assert.Equal(pragmaValue, Scalar(store.Connection!, "PRAGMA synchronous;"));
    }

    [Fact]
    public async Task Full_is_the_default_synchronous_setting()
    {
        var store = await _harness.OpenAsync();

        Assert.Equal(LocalSynchronous.Full, new SqliteLocalStoreOptions().Synchronous);
        Assert.Equal(2L, Scalar(store.Connection!, "PRAGMA synchronous;"));
    }

    [Fact]
    public async Task An_unknown_synchronous_mode_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => _harness.OpenAsync(o => o.Synchronous = (LocalSynchronous)42));
    }
}
