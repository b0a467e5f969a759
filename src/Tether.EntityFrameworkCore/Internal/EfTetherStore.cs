using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Internal.Capture;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// The store on the app's own database: the built-in store of its provider keeps Tether's tables (log, group links,
/// clients, head, and the JSON records of the models that are not mapped) in the same database, and every read and
/// write of a mapped model is routed to the app's table, on the built-in store's connection and in its transaction
/// or snapshot, so that both commit atomically and read one state.
/// </summary>
internal sealed class EfTetherStore<TDb>(SyncMapping<TDb> mapping, TetherContexts<TDb> contexts, StoreSettings settings) : ITetherStore, ICaptureStore
    where TDb : DbContext
{
    private readonly SemaphoreSlim _initializing = new(1, 1);
    private readonly Lazy<int> _writers = new(() => WritersOf(contexts, settings));
    private ITetherStore? _inner;
    private bool _disposed;

    /// <summary>The built-in store that keeps Tether's own tables.</summary>
    public ITetherStore Inner
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _inner ?? throw new InvalidOperationException("Call InitializeAsync before using the store.");
        }
    }

    /// <summary>Appends the sync actions of the app's own transactions on SQLite (PostgreSQL's sequencer reads them
    /// from the write-ahead log instead).</summary>
    public ITetherLogAppender Appender => Inner as ITetherLogAppender
        ?? throw new InvalidOperationException($"The store on {typeof(TDb).Name}'s database reads the app's writes itself; it has no log appender.");

    public SyncMapping<TDb> Mapping => mapping;

    public TetherContexts<TDb> Contexts => contexts;

    /// <summary>True once Tether's tables are ready in the app's database.</summary>
    public bool IsInitialized => Volatile.Read(ref _inner) is not null;

    /// <summary>Creates or migrates Tether's tables once. The app may get there first: its first SaveChanges of a
    /// synced row at startup (seeding, say) runs before Tether's initializer, and must be captured all the same.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_inner is not null)
            {
                return;
            }
            mapping.Validate();
            ITetherStore inner = CreateInner();
            try
            {
                await inner.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await inner.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            Volatile.Write(ref _inner, inner);
        }
        finally
        {
            _initializing.Release();
        }
    }

    /// <summary>The built-in store's writers; known before the store is initialized (the pipeline sizes itself as it
    /// is made), from the app's provider and the store's settings.</summary>
    public int Writers => Volatile.Read(ref _inner)?.Writers ?? _writers.Value;

    public async ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
        => new EfWriteTransaction<TDb>(await Inner.BeginWriteAsync(cancellationToken).ConfigureAwait(false), mapping, contexts);

    public async ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken)
        => new EfReadSnapshot<TDb>(await Inner.BeginReadAsync(cancellationToken).ConfigureAwait(false), mapping, contexts);

    public async ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken)
        => new EfReadSnapshot<TDb>(await Inner.BeginLogReadAsync(cancellationToken).ConfigureAwait(false), mapping, contexts);

    public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken) => Inner.CompactAsync(upToSyncId, cancellationToken);

    public ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken) => Inner.SyncIdAtAsync(time, cancellationToken);

    public bool RunsMaintenance => Inner.RunsMaintenance;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_inner is not null)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>How many write transactions the built-in store of the app's provider runs at once: SQLite has one
    /// writer; PostgreSQL as many as its options say.</summary>
    private static int WritersOf(TetherContexts<TDb> contexts, StoreSettings settings)
    {
        string? provider;
        using (TDb db = contexts.Create())
        {
            provider = db.Database.ProviderName;
        }
        if (provider != AppProviders.PostgreSql)
        {
            return 1;
        }
        var options = new PostgreSqlStoreOptions { ConnectionString = "" };
        settings.PostgreSql?.Invoke(options);
        return Math.Max(1, options.Writers);
    }

    /// <summary>The built-in store of the app's provider, on the database the app's context connects to.</summary>
    private ITetherStore CreateInner()
    {
        string provider;
        string? connectionString;
        using (TDb db = contexts.Create())
        {
            provider = db.Database.ProviderName ?? "";
            connectionString = db.Database.GetConnectionString();
        }
        string context = typeof(TDb).Name;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"{context} has no connection string; Tether opens its own connections to the app's database, so configure {context} with one.");
        }
        switch (provider)
        {
            case AppProviders.Sqlite:
                var sqlite = new SqliteConnectionStringBuilder(connectionString);
                if (string.IsNullOrEmpty(sqlite.DataSource) || sqlite.DataSource == ":memory:" || sqlite.Mode == SqliteOpenMode.Memory)
                {
                    throw new InvalidOperationException($"{context} uses an in-memory SQLite database; Tether's tables and the app's share one database file, so give {context} a file.");
                }
                var sqliteOptions = new SqliteStoreOptions();
                settings.Sqlite?.Invoke(sqliteOptions);
                sqliteOptions.Path = sqlite.DataSource;
                return new SqliteTetherStore(sqliteOptions);
            case AppProviders.PostgreSql:
                var postgresOptions = new PostgreSqlStoreOptions { ConnectionString = connectionString };
                settings.PostgreSql?.Invoke(postgresOptions);
                postgresOptions.ConnectionString = connectionString;
                foreach (PgSyncedTable table in mapping.SyncedTables())
                {
                    postgresOptions.SyncedTables.Add(table);
                }
                return new PostgreSqlTetherStore(postgresOptions);
            default:
                throw new InvalidOperationException($"{context} uses the provider '{provider}'; Tether keeps its tables beside the app's on SQLite or PostgreSQL.");
        }
    }
}
