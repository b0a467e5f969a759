using Microsoft.Data.Sqlite;
using Tether.Server.Sqlite.Internal;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, a single writer connection, pooled reader connections whose
/// snapshots never block the writer. syncIds come from one writer in commit order, so no hole ever closes behind a reader.
/// </summary>
public sealed class SqliteTetherStore : ITetherStore
{
    private readonly SqliteStoreOptions _options;
    private readonly string _readerConnectionString;
    private SqliteWriter? _writer;
    private bool _disposed;

    /// <summary>A store on <see cref="SqliteStoreOptions.Path"/>; the file is opened, created or migrated by
    /// <see cref="InitializeAsync"/>.</summary>
    public SqliteTetherStore(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        _options = options;
        _readerConnectionString = SqliteConnections.ReaderConnectionString(options);
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is not null)
        {
            throw new InvalidOperationException("The store is already initialized.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.GetDirectoryName(Path.GetFullPath(_options.Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = SqliteConnections.OpenWriter(_options);
        try
        {
            SchemaMigrations.Apply(connection, _options.Path);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        _writer = new SqliteWriter(connection);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) =>
        await Writer.BeginAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken)
    {
        _ = Writer;
        return await SqliteReadSnapshot.OpenAsync(_readerConnectionString, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken) =>
        Writer.CompactAsync(upToSyncId, cancellationToken);

    /// <summary>Closes the writer and the idle readers, so the file (and its <c>-wal</c> and <c>-shm</c>) can be
    /// deleted or opened again.</summary>
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        _writer?.Dispose();
        _writer = null;
        // Idle pooled readers would otherwise keep the file (and its -wal/-shm) open after the store is gone.
        using var connection = new SqliteConnection(_readerConnectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private SqliteWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _writer ?? throw new InvalidOperationException("Call InitializeAsync before using the store.");
        }
    }
}
