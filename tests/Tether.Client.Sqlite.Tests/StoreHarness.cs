using Microsoft.Data.Sqlite;

namespace Tether.Client.Sqlite.Tests;

/// <summary>Real SQLite files in a fresh temporary directory, removed with every store opened on them.</summary>
public sealed class StoreHarness : IAsyncDisposable
{
    private readonly List<SqliteLocalStore> _stores = [];

    public StoreHarness()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tether-client-sqlite-tests", Guid.NewGuid().ToString("N"));
        // The file lives in a sub-folder that does not exist yet, so every test also covers creating it.
        DatabasePath = Path.Combine(Directory, "data", "client.db");
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<SqliteLocalStore> OpenAsync(Action<SqliteLocalStoreOptions>? configure = null)
    {
        var store = await SqliteLocalStore.OpenAsync(DatabasePath, configure, Ct);
        _stores.Add(store);
        return store;
    }

    /// <summary>Disposes <paramref name="store"/> and opens the same file again.</summary>
    public async Task<SqliteLocalStore> ReopenAsync(SqliteLocalStore store)
    {
        await store.DisposeAsync();
        return await OpenAsync();
    }

    /// <summary>A raw, unpooled connection to the file, for looking behind the store's back.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Pooling = false,
        }.ToString());
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
