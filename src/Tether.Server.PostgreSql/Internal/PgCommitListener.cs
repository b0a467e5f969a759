using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
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
                await using NpgsqlConnection connection = await store.DataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, _) => commits.NotifyCommitted();
                await using (var listen = new NpgsqlCommand("LISTEN " + PgSql.CommitChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }
                commits.NotifyCommitted();
                delay = store.Options.ReconnectDelay;
                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The PostgreSQL commit listener lost its connection ({Reason}); reconnecting in {Delay}. The log tailer's poll delivers meanwhile.")]
    private partial void LogListenerFailed(string reason, TimeSpan delay);
}
