using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Fanout;

/// <summary>
/// The one reader of the log per process: woken by commits (and by a slow poll as a safety net), it reads the new
/// actions in syncId order, serialises each once, and publishes them to the hub. It also tells the writers' group
/// cache whose groups changed, which is how the writers learn of other writers' commits on a store that sequences
/// commits later.
/// </summary>
internal sealed partial class LogTailer(
    ITetherStore store,
    FanoutHub hub,
    CommitSignal commits,
    Pipeline.WriterGroupCache writerGroups,
    TetherMetrics metrics,
    IOptions<TetherServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<LogTailer> logger) : BackgroundService
{
    private const int PageSize = 1_000;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the server accepts connections, so every connection finds the hub started.
        await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken))
        {
            hub.Start(snapshot.Head);
        }
        // Kestrel waits for open requests before hosted services stop: live connections must end when stopping begins.
        lifetime.ApplicationStopping.Register(hub.Stop);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan poll = options.Value.TailerPollInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PublishNewAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The position did not move, so the next round reads the same actions again: nothing is lost.
                    LogReadFailed(e);
                }
                await commits.WaitAsync(poll, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            hub.Stop();
        }
    }

    private async Task PublishNewAsync(CancellationToken cancellationToken)
    {
        long position = hub.Position;
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken);
        long head = snapshot.Head;
        if (head < position)
        {
            // The database lost commits this node already published: it was restored from a backup, or failed over to
            // a replica that had not received them. Waiting for the head to pass the old position would withhold
            // every commit until then, so fan-out restarts at the database's head. Live connections end; their
            // clients resume from positions beyond the head and are told to bootstrap again.
            LogHeadMovedBack(position, head);
            metrics.FanoutRestarts.Add(1, new KeyValuePair<string, object?>("reason", "head_moved_back"));
            hub.Skip(head);
            return;
        }
        if (head == position)
        {
            return;
        }
        if (position < snapshot.Horizon)
        {
            // Actions the connections have not been handed were compacted: they cannot be delivered, so nobody may
            // be told the stream covers them.
            LogCompactedPastTailer(position, snapshot.Horizon);
            metrics.FanoutRestarts.Add(1, new KeyValuePair<string, object?>("reason", "compacted"));
            hub.Skip(head);
            return;
        }
        long oldestCommit = commits.TakeOldestUnpublished();
        using Activity? activity = TetherActivities.StartLinked("tether.fanout", commits.TakeUnpublishedTraces());
        activity?.SetTag("tether.sync_id.after", position);
        activity?.SetTag("tether.sync_id.last", head);
        activity?.SetTag("tether.subscribers", hub.SubscriberCount);
        while (position < head)
        {
            IReadOnlyList<LogEntry> entries = await snapshot.ReadLogAsync(position, head, PageSize, cancellationToken);
            long last = entries.Count == PageSize ? entries[^1].SyncId : head;
            IReadOnlyList<GroupChange> changes = await snapshot.ReadGroupChangesAsync(position, last, cancellationToken);
            var serialised = new LogBatchEntry[entries.Count];
            for (int i = 0; i < entries.Count; i++)
            {
                LogEntry entry = entries[i];
                serialised[i] = new LogBatchEntry(entry.SyncId, SyncActionJson.ToUtf8(entry), entry.SyncGroups, entry.ClientId, entry.MutationId);
            }
            if (changes.Count > 0)
            {
                writerGroups.Forget(changes.Select(change => change.UserId));
            }
            hub.Publish(new LogBatch(position, last, serialised, changes) { Trace = activity?.Context ?? default });
            position = last;
        }
        if (oldestCommit != 0)
        {
            metrics.FanoutLatency.Record(Stopwatch.GetElapsedTime(oldestCommit).TotalMilliseconds);
        }
    }
}
