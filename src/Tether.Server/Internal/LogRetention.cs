using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>
/// Applies <see cref="TetherServerOptions.Retention"/>: at startup and then every interval, on the node that runs the
/// store's maintenance, compacts the log up to the last action both rules let go. A failed round is logged and the
/// next one tries again; compaction only ever raises the horizon, so a round that runs twice does no harm.
/// </summary>
internal sealed partial class LogRetention(ITetherStore store, TimeProvider time, TetherMetrics metrics, IOptions<TetherServerOptions> options, ILogger<LogRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TetherRetention retention = options.Value.Retention;
        if (retention.KeepFor is null && retention.KeepActions is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(retention.Interval);
        do
        {
            try
            {
                await ApplyAsync(retention, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(e);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Compacts up to what the policy lets go now; returns the horizon after it.</summary>
    public async Task<long> ApplyAsync(TetherRetention retention, CancellationToken cancellationToken)
    {
        long head;
        long horizon;
        await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken).ConfigureAwait(false))
        {
            head = snapshot.Head;
            horizon = snapshot.Horizon;
        }
        if (!store.RunsMaintenance || retention.KeepFor is null && retention.KeepActions is null)
        {
            return horizon;
        }
        long target = head;
        if (retention.KeepActions is { } keep)
        {
            target = Math.Min(target, Math.Max(0, head - keep));
        }
        if (retention.KeepFor is { } age)
        {
            target = Math.Min(target, await store.SyncIdAtAsync(time.GetUtcNow() - age, cancellationToken).ConfigureAwait(false));
        }
        if (target <= horizon)
        {
            return horizon;
        }
        await store.CompactAsync(target, cancellationToken).ConfigureAwait(false);
        metrics.Compactions.Add(1);
        LogCompacted(horizon, target, head);
        return target;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
