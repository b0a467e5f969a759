using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>A page of the actions a user may read in (after, upTo], and the syncId the page covers.</summary>
internal sealed record DeltaPage(IReadOnlyList<LogEntry> Entries, long LastSyncId, bool HasMore);

internal static class DeltaQuery
{
    /// <summary>Reads one page. <see cref="DeltaPage.LastSyncId"/> covers filtered-out actions too, so a client can
    /// always advance: it is <paramref name="upTo"/> unless the page is full.</summary>
    public static async Task<DeltaPage> ReadAsync(ITetherReadSnapshot snapshot, long after, long upTo, IReadOnlySet<string> groups, int limit, CancellationToken cancellationToken)
    {
        if (upTo <= after)
        {
            return new DeltaPage([], Math.Max(after, upTo), false);
        }
        IReadOnlyList<LogEntry> entries = await snapshot.ReadVisibleLogAsync(after, upTo, groups.ToArray(), limit, cancellationToken);
        bool full = entries.Count == limit && entries[^1].SyncId < upTo;
        return new DeltaPage(entries, full ? entries[^1].SyncId : upTo, full);
    }

    /// <summary>True when a client at <paramref name="from"/> can no longer catch up by delta: the actions after it
    /// were compacted, or it claims a position this store never reached (another database's data).</summary>
    public static bool NeedsResync(ITetherReadSnapshot snapshot, long from) => from < snapshot.Horizon || from > snapshot.Head;
}
