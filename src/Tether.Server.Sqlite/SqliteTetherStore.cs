using System.Data.Common;
using Microsoft.Data.Sqlite;
using Tether.Server.Sqlite.Internal;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, a single writer connection, pooled reader connections whose
/// snapshots never block the writer. syncIds come from one writer in commit order, so no hole ever closes behind a reader.
/// Its tables are <c>tether_*</c>, so the file may be the app's own database. The app's transactions on that file
/// append their sync actions through <see cref="ITetherLogAppender"/>: <see cref="EnterAsync"/> queues them with
/// Tether's writer, and <see cref="LockHeadAsync"/> takes the file's write lock even in a transaction begun DEFERRED.
/// A DEFERRED transaction that read before <see cref="LockHeadAsync"/> fails there if another connection committed
/// since its read (SQLite's <c>SQLITE_BUSY_SNAPSHOT</c>), which holding the turn from before it began rules out for
/// Tether's writer.
/// </summary>
public sealed class SqliteTetherStore : ITetherStore, ITetherLogAppender
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

    /// <inheritdoc />
    public async ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using ITetherReadSnapshot snapshot = await BeginReadAsync(cancellationToken).ConfigureAwait(false);
        var connection = (IStoreConnection)snapshot;
        await using DbCommand command = connection.Connection.CreateCommand();
        command.Transaction = connection.Transaction;
        command.CommandText = Sql.SyncIdAt;
        command.Parameters.Add(new SqliteParameter("$at", time.ToUnixTimeMilliseconds()));
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public ValueTask<IAsyncDisposable> EnterAsync(CancellationToken cancellationToken) => Writer.EnterAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> LockHeadAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(SqliteLogAppender.LockHead(connection, transaction));
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(DbConnection connection, DbTransaction transaction, WriteBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SqliteLogAppender.Append(connection, transaction, batch);
        return ValueTask.CompletedTask;
    }

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
