using System.Data.Common;

namespace Tether.Server.Storage;

/// <summary>
/// Appends sync actions inside a transaction the app opened on its own connection to the store's database, for
/// writes the app makes outside Tether's mutators (<c>Tether.EntityFrameworkCore</c> captures <c>SaveChanges</c>
/// with it). The append commits or rolls back with the app's transaction, and it keeps the log's rule: syncIds run
/// without a hole in commit order, whoever writes. A store that reads every writer's changes from the database itself
/// (PostgreSQL's sequencer) has no appender.
/// </summary>
public interface ITetherLogAppender
{
    /// <summary>Waits for this process's turn to write to the database and holds it until the returned object is
    /// disposed, which the app does after its transaction ends. Call it before the app's transaction begins: on a
    /// single-writer database (SQLite) this queues the app's transactions behind Tether's writer and each other
    /// instead of letting them spin on the file lock; where writers run concurrently it may return at once.</summary>
    ValueTask<IAsyncDisposable> EnterAsync(CancellationToken cancellationToken);

    /// <summary>In the app's transaction, takes the lock that orders every writer of the log and returns the head
    /// it holds: no other writer commits an action until the app's transaction ends. Calling it again in the same
    /// transaction returns the same head.</summary>
    ValueTask<long> LockHeadAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>In the app's transaction, after <see cref="LockHeadAsync"/>, writes the batch's actions and group
    /// changes (it has no records, clients or refusals: the app wrote its rows itself), checks that they continue
    /// the locked head (<see cref="WriteBatch.CheckContinues"/>), and moves the head. Readers see it only once the
    /// app commits; the caller then wakes this node's tailer (<see cref="ITetherCommitSignal"/>).</summary>
    ValueTask AppendAsync(DbConnection connection, DbTransaction transaction, WriteBatch batch, CancellationToken cancellationToken);
}
