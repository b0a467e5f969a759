using Tether.Server.Storage;

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

    public static NewSyncAction Action(string modelId, params string[] groups) =>
        new("insert", "issue", modelId, $$"""{"id":"{{modelId}}"}""", groups, "c1", 1);

    /// <summary>Commits one action per id, each in its own batch, and returns their syncIds.</summary>
    public static async Task<List<long>> CommitActionsAsync(ITetherStore store, params string[] modelIds)
    {
        var syncIds = new List<long>();
        foreach (var modelId in modelIds)
        {
            await using var tx = await store.BeginWriteAsync(Ct);
            syncIds.Add(await tx.AppendActionAsync(Action(modelId, "team:1"), Ct));
            await tx.CommitAsync(Ct);
        }

        return syncIds;
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
