using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Wakes this node's log tailer when any node commits: LISTEN on <c>tether_commits</c> over a dedicated connection.
/// When that connection drops it reconnects with backoff and wakes the tailer once (commits may have passed
/// unnoticed); meanwhile the tailer's slow poll keeps delivering, so clients see at most a delay.
/// </summary>
internal sealed partial class PgCommitListener(PostgreSqlTetherStore store, ITetherCommitSignal commits, ILogger<PgCommitListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan delay = store.Options.ReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await store.SessionDataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, e) => Heard(e.Payload);
                await using (var listen = new NpgsqlCommand("LISTEN " + PgSql.CommitChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }
                commits.NotifyCommitted();
                delay = store.Options.ReconnectDelay;
                long checkedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                while (true)
                {
                    await connection.WaitAsync(WaitersCheck, stoppingToken).ConfigureAwait(false);
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(checkedAt) >= WaitersCheck)
                    {
                        await CheckWaitersAsync(stoppingToken).ConfigureAwait(false);
                        checkedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                LogListenerFailed(e.Message, delay);
            }
            try
            {
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, store.Options.MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>How often write batches that a notification did not name are looked up in the log.</summary>
    private static readonly TimeSpan WaitersCheck = TimeSpan.FromMilliseconds(200);

    private void Heard(string payload)
    {
        // Each round names the head and the batches it sequenced; an unreadable payload still wakes the tailer.
        if (PgLogWriter.TryParsePayload(payload, out SequencerNotice notice))
        {
            store.Sequencer.Advance(notice);
        }
        commits.NotifyCommitted();
    }

    /// <summary>Batches still waiting after a notification should have named them (lost with a dropped connection,
    /// or left out of a full payload) are read from <c>tether_wal_transactions</c>.</summary>
    private async Task CheckWaitersAsync(CancellationToken cancellationToken)
    {
        SequencerState sequencer = store.Sequencer;
        IReadOnlyList<string> waiting = sequencer.WaitingLongerThan(WaitersCheck);
        if (waiting.Count == 0)
        {
            return;
        }
        await using NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand("SELECT batch_key, last_sync_id FROM tether_wal_transactions WHERE batch_key = ANY(@keys)", connection);
        read.Parameters.AddWithValue("keys", waiting.ToArray());
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sequencer.Complete(reader.GetString(0), reader.GetInt64(1));
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The PostgreSQL commit listener lost its connection ({Reason}); reconnecting in {Delay}. The log tailer's poll delivers meanwhile.")]
    private partial void LogListenerFailed(string reason, TimeSpan delay);
}
