using Microsoft.Data.Sqlite;

namespace Tether.Server.Sqlite.Tests;

/// <summary>Real SQLite files in a fresh temporary directory, removed with every store opened on them.</summary>
public sealed class StoreHarness : IAsyncDisposable
{
    private readonly List<SqliteTetherStore> _stores = [];

    public StoreHarness()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tether-sqlite-tests", Guid.NewGuid().ToString("N"));
        // The file lives in a sub-folder that does not exist yet, so every test also covers creating it.
        DatabasePath = Path.Combine(Directory, "data", "tether.db");
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public SqliteTetherStore Create(Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions { Path = DatabasePath };
        configure?.Invoke(options);
        var store = new SqliteTetherStore(options);
        _stores.Add(store);
        return store;
    }

    public async Task<SqliteTetherStore> OpenAsync(Action<SqliteStoreOptions>? configure = null)
    {
        var store = Create(configure);
        await store.InitializeAsync(Ct);
        return store;
    }

    /// <summary>A connection of the test's own to the store's file, outside the store.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
