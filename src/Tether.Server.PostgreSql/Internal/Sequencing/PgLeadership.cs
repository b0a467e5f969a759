using Npgsql;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The sequencer's leadership: a session-level advisory lock held on a connection of its own (not pooled), and the
/// epoch taken when it was won. The node sends a keepalive query on it every few seconds, and PostgreSQL ends the
/// session once it has been idle for <see cref="IdleTimeout"/>: a node that dies, loses its network or stops (a
/// frozen process, a suspended machine) gives the lead up within seconds, where TCP alone would take hours to notice. Every round checks the epoch in the database (<c>tether_advance_head</c>), so a leader that lost its session
/// while its replication connection lives on cannot write.
/// </summary>
internal sealed class PgLeadership : IAsyncDisposable
{
    /// <summary>Advisory locks are per database: test databases of one cluster, or two deployments, do not collide.</summary>
    public const long LockKey = 0x7465746865720002;

    /// <summary>Four keepalive intervals: a node busy enough to miss three keeps the lead.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4 * KeepAliveSeconds);

    private const int KeepAliveSeconds = 5;

    private readonly NpgsqlConnection _session;

    private PgLeadership(NpgsqlConnection session, long epoch, long head, NpgsqlLogSequenceNumber lsn, NpgsqlLogSequenceNumber lastCommitLsn)
    {
        _session = session;
        Epoch = epoch;
        Head = head;
        Lsn = lsn;
        LastCommitLsn = lastCommitLsn;
    }

    public long Epoch { get; }

    /// <summary>The log's head when the leadership was won: every round of an earlier leader had committed or failed.</summary>
    public long Head { get; }

    /// <summary>Where the log's WAL reaches: the stream resumes here.</summary>
    public NpgsqlLogSequenceNumber Lsn { get; }

    /// <summary>The commit position of the last transaction in the log: any transaction at or before it is a replay.</summary>
    public NpgsqlLogSequenceNumber LastCommitLsn { get; }

    /// <summary>Takes the lead when no other node holds it; null when another does.</summary>
    public static async Task<PgLeadership?> TryAcquireAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            KeepAlive = KeepAliveSeconds,
            TcpKeepAlive = true,
            ApplicationName = "tether-sequencer",
        };
        builder.Options = $"{builder.Options} -c idle_session_timeout={(int)IdleTimeout.TotalMilliseconds}".TrimStart();
        var session = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", session))
            {
                tryLock.Parameters.AddWithValue("key", LockKey);
                if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    return null;
                }
            }
            // Waits on the row lock of a round the previous leader may still have in flight, so the head read here
            // is the one that round left.
            await using var elect = new NpgsqlCommand(
                "UPDATE tether_head SET epoch = epoch + 1 RETURNING epoch, sync_id, lsn, last_commit_lsn", session);
            await using NpgsqlDataReader reader = await elect.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(2))
            {
                throw new InvalidOperationException("tether_head has no WAL position: the store's replication objects were not made (InitializeAsync).");
            }
            var leadership = new PgLeadership(session, reader.GetInt64(0), reader.GetInt64(1),
                reader.GetFieldValue<NpgsqlLogSequenceNumber>(2), reader.GetFieldValue<NpgsqlLogSequenceNumber>(3));
            return leadership;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Throws when the lock's session is gone (the lock with it).</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT 1", _session);
        await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lets go of the lock at once when the session still works (the next node takes it within its
    /// election interval); a dead session released it already, or will when PostgreSQL ends it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_session.State == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _session);
                unlock.Parameters.AddWithValue("key", LockKey);
                unlock.CommandTimeout = 5;
                await unlock.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The session is broken: PostgreSQL releases the lock when it ends the session, closed just below.
        }
        finally
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
