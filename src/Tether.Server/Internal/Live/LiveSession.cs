using Tether.Server.Internal.Fanout;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Live;

/// <summary>A frame to send and the syncId the client has reached once it has it (SSE uses it as the event id).</summary>
internal readonly record struct OutgoingFrame(byte[] Json, long LastSyncId);

/// <summary>
/// What one live or SSE connection knows about its user: its groups and position. Turns the hub's batches into this
/// connection's frames: actions filtered by its groups, group changes applied at their place in the log, and the
/// acks of its own client.
/// </summary>
internal sealed class LiveSession(string userId, string? clientId, IReadOnlySet<string> groups, long lastSyncId, GroupResolution resolution)
{
    public string UserId => userId;
    public IReadOnlySet<string> Groups { get; private set; } = groups;
    public long LastSyncId { get; private set; } = lastSyncId;

    /// <summary>The frames for one batch, in order. The batch must start where this session stands.</summary>
    public async Task<List<OutgoingFrame>> FramesForAsync(LogBatch batch, CancellationToken cancellationToken)
    {
        if (batch.AfterSyncId != LastSyncId)
        {
            throw new InvalidOperationException($"Batch after {batch.AfterSyncId} handed to a session at {LastSyncId}.");
        }
        var frames = new List<OutgoingFrame>(1);
        int next = 0;
        foreach (GroupChange change in batch.GroupChanges)
        {
            if (change.UserId != userId)
            {
                continue;
            }
            // Actions before the change are judged by the old groups, the change's own mutation by the new ones.
            next = AddSyncFrame(frames, batch.Entries, next, change.SyncId - 1);
            IReadOnlySet<string> resolved = await resolution.ResolveAsync(userId, cancellationToken);
            if (!resolved.SetEquals(Groups))
            {
                Groups = resolved;
                frames.Add(new OutgoingFrame(FrameJson.Groups(resolved), LastSyncId));
            }
        }
        AddSyncFrame(frames, batch.Entries, next, batch.LastSyncId);
        return frames;
    }

    /// <summary>An empty sync frame at the current position (a heartbeat).</summary>
    public OutgoingFrame Heartbeat() => new(FrameJson.Sync(LastSyncId, [], null, 0), LastSyncId);

    private int AddSyncFrame(List<OutgoingFrame> frames, IReadOnlyList<LogBatchEntry> entries, int start, long upTo)
    {
        if (upTo <= LastSyncId)
        {
            return start;
        }
        var visible = new List<LogBatchEntry>();
        long ack = 0;
        int i = start;
        for (; i < entries.Count && entries[i].SyncId <= upTo; i++)
        {
            LogBatchEntry entry = entries[i];
            if (IsVisible(entry))
            {
                visible.Add(entry);
            }
            if (clientId is not null && entry.ClientId == clientId && entry.MutationId > ack)
            {
                ack = entry.MutationId.Value;
            }
        }
        frames.Add(new OutgoingFrame(FrameJson.Sync(upTo, visible, ack > 0 ? clientId : null, ack), upTo));
        LastSyncId = upTo;
        return i;
    }

    private bool IsVisible(LogBatchEntry entry)
    {
        foreach (string group in entry.SyncGroups)
        {
            if (Groups.Contains(group))
            {
                return true;
            }
        }
        return false;
    }
}
