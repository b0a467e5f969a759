using Tether.Mutators;
using Microsoft.Data.Sqlite;
using Tether.Client.Sqlite.Internal;

namespace Tether.Client.Sqlite;

/// <summary>
/// A client's local store in one SQLite file (WAL). The client is the only user of its file, so the store keeps one
/// connection for its whole life and runs one operation at a time. Every <see cref="WriteAsync"/> and every
/// <see cref="BeginBulkWriteAsync"/> is one transaction: a crash or a failure leaves the file as it was before the
/// write or after it.
/// </summary>
public sealed class SqliteLocalStore : ILocalStore
{
    private readonly SqliteLocalStoreOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;
    private LocalCommands? _commands;
    private RecordStatements? _records;
    private bool _disposed;

    /// <summary>
    /// A store on <see cref="SqliteLocalStoreOptions.Path"/>. The file is opened (and created or migrated) on first
    /// use; <see cref="OpenAsync"/> opens it at once so a bad file fails there.
    /// </summary>
    public SqliteLocalStore(SqliteLocalStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path, nameof(options));
        // A copy: later changes to the caller's options object do not reach an open store.
        _options = new SqliteLocalStoreOptions { Path = options.Path, Synchronous = options.Synchronous };
    }

    /// <summary>
    /// Opens (creating the file and its directory when missing) the store at <paramref name="path"/>, switches it to
    /// WAL, applies <see cref="SqliteLocalStoreOptions.Synchronous"/> and migrates the schema. Throws when the file
    /// was written by a newer schema version.
    /// </summary>
    public static async Task<SqliteLocalStore> OpenAsync(
        string path, Action<SqliteLocalStoreOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new SqliteLocalStoreOptions { Path = path };
        configure?.Invoke(options);
        var store = new SqliteLocalStore(options);
        try
        {
            await store._gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                store.EnsureOpen();
            }
            finally
            {
                store._gate.Release();
            }

            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Test hook: called with <c>"before-commit"</c> right before a write commits. Throwing from it
    /// simulates a crash between applying a write and committing it.</summary>
    internal Action<string>? FaultPoint { get; set; }

    /// <summary>Test access to the open connection (null before first use and after disposal).</summary>
    internal SqliteConnection? Connection => _connection;

    /// <summary>The database file.</summary>
    public string Path => _options.Path;

    /// <inheritdoc />
    public async ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var commands = EnsureOpen();
            cancellationToken.ThrowIfCancellationRequested();
            // One read transaction, so metadata, records and pending come from the same commit.
            commands.BeginRead.ExecuteNonQuery();
            try
            {
                var meta = new Dictionary<string, string?>(StringComparer.Ordinal);
                using (var reader = commands.ReadMeta.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        meta[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
                    }
                }

                var records = _records!.ReadAll();

                var pending = new List<PendingMutation>();
                using (var reader = commands.ReadPending.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        pending.Add(new PendingMutation(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
                    }
                }

                return new LocalSnapshot(MetadataRows.FromRows(meta), records, pending);
            }
            finally
            {
                EndTransaction(commands);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>Adding a pending mutation whose id is already stored is an error (ids are never reused); the whole
    /// write is then rolled back.</remarks>
    public async ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var commands = EnsureOpen();
            cancellationToken.ThrowIfCancellationRequested();
            commands.Begin.ExecuteNonQuery();
            try
            {
                Apply(commands, _records!, write, cancellationToken);
                FaultPoint?.Invoke("before-commit");
                commands.Commit.ExecuteNonQuery();
            }
            catch
            {
                EndTransaction(commands);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>The write is one transaction opened here, and the store runs nothing else until it is committed or
    /// disposed. Each chunk goes into the transaction at once, so the records are never all held in memory; a chunk
    /// that fails or is cancelled rolls the whole write back.</remarks>
    public async ValueTask<ILocalBulkWrite> BeginBulkWriteAsync(bool clearRecords, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var commands = EnsureOpen();
            cancellationToken.ThrowIfCancellationRequested();
            commands.Begin.ExecuteNonQuery();
            try
            {
                if (clearRecords)
                {
                    commands.ClearRecords.ExecuteNonQuery();
                }
            }
            catch
            {
                EndTransaction(commands);
                throw;
            }

            return new SqliteBulkWrite(this);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>Adds a chunk to the open bulk write's transaction.</summary>
    internal void WriteBulkChunk(IReadOnlyList<LocalRecordChange> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        cancellationToken.ThrowIfCancellationRequested();
        _records!.Write(records, cancellationToken);
    }

    /// <summary>Applies the bulk write's last part and commits its transaction.</summary>
    internal void CommitBulk(LocalWrite last, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(last);
        if (last.ClearRecords)
        {
            throw new ArgumentException("A bulk write clears when it begins, not at its commit.", nameof(last));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var commands = _commands!;
        Apply(commands, _records!, last, cancellationToken);
        FaultPoint?.Invoke("before-commit");
        commands.Commit.ExecuteNonQuery();
    }

    /// <summary>Ends the bulk write: rolls back its transaction unless it committed, and lets other operations run.</summary>
    internal void EndBulk()
    {
        try
        {
            if (_commands is { } commands)
            {
                EndTransaction(commands);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the connection; the file can then be deleted or opened again.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void Apply(LocalCommands commands, RecordStatements records, LocalWrite write, CancellationToken cancellationToken)
    {
        if (write.ClearRecords)
        {
            commands.ClearRecords.ExecuteNonQuery();
        }

        ArgumentNullException.ThrowIfNull(write.Records, nameof(write));
        records.Write(write.Records, cancellationToken);

        var add = commands.AddPending;
        foreach (var mutation in write.AddPending)
        {
            ArgumentNullException.ThrowIfNull(mutation, nameof(write));
            add.Parameters[0].Value = mutation.Id;
            add.Parameters[1].Value = mutation.Name;
            add.Parameters[2].Value = mutation.Args;
            try
            {
                add.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                throw new InvalidOperationException(
                    $"Pending mutation {mutation.Id} is already stored; mutation ids are never reused.", e);
            }
        }

        var remove = commands.RemovePending;
        foreach (var id in write.RemovePending)
        {
            remove.Parameters[0].Value = id;
            remove.ExecuteNonQuery();
        }

        if (write.Metadata is { } metadata)
        {
            var putMeta = commands.PutMeta;
            foreach (var (key, value) in MetadataRows.ToRows(metadata))
            {
                putMeta.Parameters[0].Value = key;
                putMeta.Parameters[1].Value = (object?)value ?? DBNull.Value;
                putMeta.ExecuteNonQuery();
            }
        }
    }

    private LocalCommands EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_commands is not null)
        {
            return _commands;
        }

        var connection = LocalConnection.Open(_options);
        try
        {
            _records = new RecordStatements(connection);
            _commands = new LocalCommands(connection);
        }
        catch
        {
            _records?.Dispose();
            _records = null;
            connection.Dispose();
            throw;
        }

        _connection = connection;
        return _commands;
    }

    /// <summary>Rolls back whatever transaction is still open (a failed statement may already have ended it). When
    /// even that fails the connection is closed, which discards the transaction; the next call reopens the file.</summary>
    private void EndTransaction(LocalCommands commands)
    {
        if (_connection is null || SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) != 0)
        {
            return;
        }

        try
        {
            commands.Rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            Close();
        }
    }

    private void Close()
    {
        _commands?.Dispose();
        _commands = null;
        _records?.Dispose();
        _records = null;
        if (_connection is { } connection)
        {
            _connection = null;
            connection.Close();
            // Not pooled, but clear anyway so nothing keeps a handle on the file once the store is disposed.
            SqliteConnection.ClearPool(connection);
            connection.Dispose();
        }
    }
}
