using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// The one connection that writes. SQLite allows a single writer per file anyway; owning it here means the write
/// lock is never contended inside the process and its prepared statements live as long as the store.
/// </summary>
internal sealed class SqliteWriter : IDisposable
{
    // The pipeline holds one write transaction at a time; the semaphore makes a misbehaving second caller wait
    // instead of interleaving statements into the first one's transaction.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SqliteConnection _connection;

    public SqliteWriter(SqliteConnection connection)
    {
        _connection = connection;
        Commands = new WriterCommands(connection);
    }

    public WriterCommands Commands { get; }

    public SqliteConnection Connection => _connection;

    public GroupIdCache Groups { get; } = new();

    public async ValueTask<SqliteWriteTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Commands.Begin.ExecuteNonQuery();
            return new SqliteWriteTransaction(this, ReadHead());
        }
        catch
        {
            Finish();
            throw;
        }
    }

    /// <summary>Takes the writer's turn for a transaction of the app's own: Tether's writes wait until it is released.</summary>
    public async ValueTask<IAsyncDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new WriterTurn(_gate);
    }

    public async Task CompactAsync(long upToSyncId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upToSyncId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var committed = false;
        try
        {
            Commands.Begin.ExecuteNonQuery();
            var head = ReadHead();
            // A horizon above the head would send clients that are fully caught up to resync_required.
            if (upToSyncId > head)
            {
                throw new ArgumentOutOfRangeException(nameof(upToSyncId), upToSyncId, $"Cannot compact beyond the head ({head}).");
            }

            Commands.Compact.Parameters[0].Value = upToSyncId;
            Commands.Compact.ExecuteNonQuery();

            Commands.Commit.ExecuteNonQuery();
            committed = true;
        }
        finally
        {
            if (!committed)
            {
                RollbackIfOpen();
            }

            _gate.Release();
        }
    }

    public long ReadHead() => (long)Commands.ReadHead.ExecuteScalar()!;

    /// <summary>The rowid SQLite gave the last INSERT on this connection, without a round of SQL.</summary>
    public long LastInsertRowId() => raw.sqlite3_last_insert_rowid(_connection.Handle);

    public void Commit()
    {
        Commands.Commit.ExecuteNonQuery();
        Groups.CommitPending();
    }

    /// <summary>Ends the transaction opened by <see cref="BeginAsync"/> (rolling back whatever was not committed,
    /// also after a failed commit) and lets the next writer in.</summary>
    public void Finish()
    {
        try
        {
            Groups.DiscardPending();
            RollbackIfOpen();
        }
        finally
        {
            _gate.Release();
        }
    }

    private void RollbackIfOpen()
    {
        // Some errors (disk full, I/O) make SQLite roll back on its own; a second ROLLBACK would then fail and hide
        // the original exception.
        if (raw.sqlite3_get_autocommit(_connection.Handle) == 0)
        {
            Commands.Rollback.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        Commands.Dispose();
        _connection.Dispose();
        _gate.Dispose();
    }
}
