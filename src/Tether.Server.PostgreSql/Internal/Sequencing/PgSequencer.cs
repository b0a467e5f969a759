using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using NpgsqlTypes;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// Runs on every node; one at a time leads. The leader reads the slot's changes in commit order and writes them to the
/// log in rounds (<see cref="PgLogWriter"/>): whatever decoded while the previous round committed goes into the next
/// one. The slot is confirmed only up to what a committed round stored, and a new leader resumes from the stored
/// position, skipping what it finds already in the log: every change becomes an action exactly once. Any failure
/// (the stream, a round, the lock's session) ends the leadership; the node then runs for election again.
/// </summary>
internal sealed partial class PgSequencer(PostgreSqlTetherStore store, ILogger<PgSequencer> logger) : BackgroundService
{
    /// <summary>Rounds are bounded so that one round's arrays stay a few megabytes.</summary>
    private const int MaxActionsPerRound = 10_000;

    private const int PruneEveryRounds = 1_000;

    private int _connectionGeneration;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PostgreSqlStoreOptions options = store.Options;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = options.ElectionInterval;
            try
            {
                await using PgLeadership? leadership = await PgLeadership.TryAcquireAsync(options.ConnectionString, stoppingToken).ConfigureAwait(false);
                if (leadership is not null)
                {
                    LogLeading(leadership.Epoch, leadership.Head, leadership.Lsn.ToString());
                    store.Metrics.Elections.Add(1);
                    store.Metrics.Leading = true;
                    try
                    {
                        await LeadAsync(leadership, stoppingToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        store.Metrics.Leading = false;
                    }
                    wait = TimeSpan.Zero;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (UnknownColumnTypeException e)
            {
                // Npgsql loads types once per connection string: a type made after that reads as unknown until the
                // next connection is opened with another one.
                _connectionGeneration++;
                LogReopening(e.Message);
                wait = TimeSpan.Zero;
            }
            catch (SequencerStoppedException e)
            {
                LogStopped(e, e.Message);
                store.Sequencer.Stopped = e.Message;
                return;
            }
            catch (Exception e)
            {
                LogLeadershipEnded(e, e.Message);
            }
            try
            {
                await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task LeadAsync(PgLeadership leadership, CancellationToken stoppingToken)
    {
        PostgreSqlStoreOptions options = store.Options;
        using var lead = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await EndStaleStreamAsync(lead.Token).ConfigureAwait(false);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            ApplicationName = "tether-sequencer-stream-" + _connectionGeneration,
        };
        await using var replication = new LogicalReplicationConnection(builder.ConnectionString)
        {
            WalReceiverStatusInterval = TimeSpan.FromSeconds(1),
        };
        await replication.Open(lead.Token).ConfigureAwait(false);
        var decoded = Channel.CreateBounded<DecodedTransaction>(new BoundedChannelOptions(4_096) { SingleReader = true, SingleWriter = true });
        var stream = new PgChangeStream(store.SyncedTables, options.MaxActionsPerTransaction);
        Task reading = ReadAsync(stream, replication, leadership, decoded.Writer, lead.Token);
        try
        {
            await WriteRoundsAsync(leadership, replication, decoded.Reader, lead.Token).ConfigureAwait(false);
        }
        finally
        {
            await lead.CancelAsync().ConfigureAwait(false);
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (Exception) when (lead.IsCancellationRequested)
            {
                // The reader ends because the leadership ended; why it ended is already on its way up.
            }
        }
    }

    private async Task ReadAsync(PgChangeStream stream, LogicalReplicationConnection replication, PgLeadership leadership, ChannelWriter<DecodedTransaction> decoded, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (DecodedTransaction transaction in stream.ReadAsync(replication, store.SlotName, leadership.Lsn, leadership.LastCommitLsn, cancellationToken).ConfigureAwait(false))
            {
                await decoded.WriteAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
            decoded.TryComplete(new InvalidOperationException("The replication stream ended."));
        }
        catch (Exception e)
        {
            decoded.TryComplete(e);
            throw;
        }
    }

    private async Task WriteRoundsAsync(PgLeadership leadership, LogicalReplicationConnection replication, ChannelReader<DecodedTransaction> decoded, CancellationToken cancellationToken)
    {
        PostgreSqlStoreOptions options = store.Options;
        long head = leadership.Head;
        int rounds = 0;
        var transactions = new List<DecodedTransaction>();
        DateTime lastCheck = DateTime.UtcNow;
        DateTime lastRound = DateTime.UtcNow;
        while (true)
        {
            using (var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                tick.CancelAfter(options.LeaderCheckInterval);
                try
                {
                    await decoded.WaitToReadAsync(tick.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // No transaction for a while: time to check the lock, and perhaps to send a heartbeat.
                }
            }
            if (decoded.Completion.IsCompleted)
            {
                // Rethrows why the stream ended.
                await decoded.Completion.ConfigureAwait(false);
            }
            if (DateTime.UtcNow - lastCheck >= options.LeaderCheckInterval)
            {
                await leadership.CheckAsync(cancellationToken).ConfigureAwait(false);
                lastCheck = DateTime.UtcNow;
            }
            transactions.Clear();
            int actions = 0;
            while (actions < MaxActionsPerRound && decoded.TryRead(out DecodedTransaction? transaction))
            {
                transactions.Add(transaction);
                actions += transaction.Actions.Count;
            }
            if (transactions.Count == 0)
            {
                if (DateTime.UtcNow - lastRound >= options.HeartbeatInterval)
                {
                    // The slot holds the WAL of every database of the cluster from its confirmed position on; a
                    // heartbeat of our own moves that position when this database is quiet.
                    await PgReads.EmitMarkerAsync(store.DataSource, "heartbeat", cancellationToken).ConfigureAwait(false);
                    lastRound = DateTime.UtcNow;
                }
                continue;
            }
            await using (NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            {
                rounds++;
                PgLogWriter.SequencedRound round = await PgLogWriter.WriteAsync(
                    connection, leadership.Epoch, head, transactions, prune: rounds % PruneEveryRounds == 0, cancellationToken).ConfigureAwait(false);
                head = round.Head;
            }
            lastRound = DateTime.UtcNow;
            RecordRound(transactions, actions, lastRound);
            replication.SetReplicationStatus(transactions[^1].EndLsn);
        }
    }

    private void RecordRound(List<DecodedTransaction> transactions, int actions, DateTime committed)
    {
        PgMetrics metrics = store.Metrics;
        metrics.Rounds.Add(1);
        metrics.Actions.Add(actions);
        foreach (DecodedTransaction transaction in transactions)
        {
            metrics.Delay.Record(Math.Max(0, (committed - transaction.CommittedAt).TotalMilliseconds));
        }
    }

    /// <summary>The walsender of a leader that vanished may still hold the slot until PostgreSQL notices.</summary>
    private async Task EndStaleStreamAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var end = new NpgsqlCommand(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = @slot AND active_pid IS NOT NULL", connection);
        end.Parameters.AddWithValue("slot", store.SlotName);
        await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "This node leads the sequencer (epoch {Epoch}, head {Head}, WAL position {Lsn}).")]
    private partial void LogLeading(long epoch, long head, string lsn);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The sequencer's leadership ended: {Reason}. This node runs for election again.")]
    private partial void LogLeadershipEnded(Exception exception, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "The sequencer reopens its stream to load a type PostgreSQL made after it connected: {Reason}.")]
    private partial void LogReopening(string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "The sequencer stopped: {Reason}. Sync actions are no longer written; fix the table and restart the node.")]
    private partial void LogStopped(Exception exception, string reason);
}
