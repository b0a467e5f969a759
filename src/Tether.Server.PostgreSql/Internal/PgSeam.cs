using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Tether.Server.PostgreSql.Internal.Sequencing;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Places a data snapshot exactly in the log. The sequencer writes the log after the data commits, and PostgreSQL
/// makes concurrent commits visible in an order that may differ from their order in the write-ahead log, so the head
/// a snapshot sees says little. Instead: the snapshot records its visibility (<c>pg_current_snapshot()</c>) and the
/// WAL insert position L after it; once the sequencer has passed L, every transaction the snapshot can see is in the
/// log, in <c>tether_wal_transactions</c> with its xid. The snapshot's syncId is the one just before the first logged
/// transaction it cannot see; it is exact when no transaction after that one is visible, and taken again otherwise.
/// </summary>
internal static class PgSeam
{
    private const int Attempts = 5;

    private const string Mark =
        "SELECT pg_current_snapshot()::text, pg_current_wal_insert_lsn(), (SELECT sync_id FROM tether_head), " +
        "(SELECT value FROM tether_meta WHERE key = 'horizon')";

    private const string Place =
        "SELECT (SELECT min(first_sync_id) FROM tether_wal_transactions WHERE commit_lsn < @lsn AND last_sync_id >= first_sync_id " +
        "AND (xid = ANY(@xip) OR xid >= @xmax)), " +
        "(SELECT last_sync_id FROM tether_wal_transactions WHERE commit_lsn < @lsn ORDER BY commit_lsn DESC LIMIT 1), " +
        "(SELECT value FROM tether_meta WHERE key = 'horizon')";

    private const string VisibleAfter =
        "SELECT EXISTS (SELECT 1 FROM tether_wal_transactions WHERE first_sync_id > @first AND commit_lsn < @lsn " +
        "AND last_sync_id >= first_sync_id AND NOT (xid = ANY(@xip) OR xid >= @xmax))";

    public static async ValueTask<PgReadSnapshot> OpenAsync(PostgreSqlTetherStore store, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            PgReadSnapshot? snapshot = await TryOpenAsync(store, cancellationToken).ConfigureAwait(false);
            if (snapshot is not null)
            {
                return snapshot;
            }
            if (attempt == Attempts)
            {
                throw new TimeoutException($"No snapshot could be placed exactly in the log in {Attempts} attempts.");
            }
        }
    }

    private static async ValueTask<PgReadSnapshot?> TryOpenAsync(PostgreSqlTetherStore store, CancellationToken cancellationToken)
    {
        (NpgsqlConnection Connection, NpgsqlTransaction Transaction) data = await BeginAsync(store, cancellationToken).ConfigureAwait(false);
        (NpgsqlConnection Connection, NpgsqlTransaction Transaction)? log = null;
        try
        {
            string visibility;
            NpgsqlLogSequenceNumber lsn;
            long seenHead;
            long horizon;
            await using (NpgsqlCommand mark = PgReads.Command(data.Connection, Mark))
            await using (NpgsqlDataReader reader = await mark.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                visibility = reader.GetString(0);
                lsn = reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
                seenHead = reader.GetInt64(2);
                horizon = reader.GetInt64(3);
            }
            (long xmax, long[] xip) = ParseSnapshot(visibility);
            await WaitForSequencerAsync(store, lsn, cancellationToken).ConfigureAwait(false);

            log = await BeginAsync(store, cancellationToken).ConfigureAwait(false);
            long? firstInvisible;
            long? lastBefore;
            long logHorizon;
            await using (NpgsqlCommand place = PgReads.Command(log.Value.Connection, Place, ("xip", xip), ("xmax", xmax)))
            {
                place.Parameters.Add(PgReads.Parameter("lsn", lsn));
                await using NpgsqlDataReader reader = await place.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                firstInvisible = reader.IsDBNull(0) ? null : reader.GetInt64(0);
                lastBefore = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                logHorizon = reader.GetInt64(2);
            }
            long head;
            if (firstInvisible is { } first)
            {
                await using NpgsqlCommand after = PgReads.Command(log.Value.Connection, VisibleAfter, ("first", first), ("xip", xip), ("xmax", xmax));
                after.Parameters.Add(PgReads.Parameter("lsn", lsn));
                if ((bool)(await after.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    // PostgreSQL made a later transaction visible before an earlier one: no syncId matches this data.
                    await DisposeAsync(data, log).ConfigureAwait(false);
                    return null;
                }
                head = first - 1;
            }
            else
            {
                head = Math.Max(seenHead, lastBefore ?? 0);
            }
            if (head <= seenHead)
            {
                await DisposeAsync(log.Value).ConfigureAwait(false);
                log = null;
                return new PgReadSnapshot(data.Connection, data.Transaction, head, horizon);
            }
            return new PgReadSnapshot(data.Connection, data.Transaction, head, Math.Max(horizon, logHorizon), log);
        }
        catch
        {
            await DisposeAsync(data, log).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Completes once the sequencer has written every transaction that committed before <paramref name="lsn"/>:
    /// at once when the log is known to reach it, else after a fence, a transaction of ours that commits after
    /// <paramref name="lsn"/> and so is sequenced after all of them.</summary>
    private static async Task WaitForSequencerAsync(PostgreSqlTetherStore store, NpgsqlLogSequenceNumber lsn, CancellationToken cancellationToken)
    {
        SequencerState sequencer = store.Sequencer;
        Task reached = sequencer.WaitForLsnAsync(lsn, cancellationToken);
        if (await Task.WhenAny(reached, Task.Delay(FenceAfter, cancellationToken)).ConfigureAwait(false) == reached)
        {
            await reached.ConfigureAwait(false);
            return;
        }
        string key = sequencer.NextKey("fence");
        Task<long> fenced = sequencer.Expect(key);
        try
        {
            await PgReads.EmitMarkerAsync(store.DataSource, key, cancellationToken).ConfigureAwait(false);
            await Task.WhenAny(reached, fenced).WaitAsync(store.Options.SequencingTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sequencer.Forget(key);
        }
    }

    private static readonly TimeSpan FenceAfter = TimeSpan.FromMilliseconds(20);

    /// <summary>From <c>xmin:xmax:xip,…</c> as <c>pg_current_snapshot()</c> writes it, what decides visibility of a
    /// committed transaction: it is invisible when its xid is at or past xmax, or in xip.</summary>
    internal static (long Xmax, long[] Xip) ParseSnapshot(string text)
    {
        string[] parts = text.Split(':');
        long[] xip = parts[2].Length == 0 ? [] : [.. parts[2].Split(',').Select(x => long.Parse(x, CultureInfo.InvariantCulture))];
        return (long.Parse(parts[1], CultureInfo.InvariantCulture), xip);
    }

    private static async ValueTask<(NpgsqlConnection, NpgsqlTransaction)> BeginAsync(PostgreSqlTetherStore store, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using NpgsqlCommand readOnly = PgReads.Command(connection, "SET TRANSACTION READ ONLY");
            await readOnly.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask DisposeAsync((NpgsqlConnection Connection, NpgsqlTransaction Transaction) data, (NpgsqlConnection Connection, NpgsqlTransaction Transaction)? log = null)
    {
        await data.Transaction.DisposeAsync().ConfigureAwait(false);
        await data.Connection.DisposeAsync().ConfigureAwait(false);
        if (log is { } other)
        {
            await DisposeAsync(other).ConfigureAwait(false);
        }
    }
}
