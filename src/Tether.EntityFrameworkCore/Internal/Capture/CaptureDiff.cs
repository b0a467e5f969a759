using Tether.Protocol;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>A synced row as its readers see it: the JSON it serves and the groups its columns put it in, and the
/// users whose sync groups the row decides (a membership's user, see
/// <see cref="SyncModelMapping{T}.DecidesSyncGroupsOf"/>).</summary>
internal sealed record RowImage(string Json, IReadOnlyList<string> SyncGroups, IReadOnlyList<string> GroupOwners)
{
    public bool SameAs(RowImage other) =>
        Json == other.Json && SyncGroups.Count == other.SyncGroups.Count && !SyncGroups.Except(other.SyncGroups, StringComparer.Ordinal).Any();
}

/// <summary>
/// The sync actions that take a row's readers from what they saw before an app's transaction to what it committed.
/// Only the two states count, not the statements in between: a row inserted and deleted again leaves nothing, and a
/// row written back unchanged leaves nothing either.
/// </summary>
internal static class CaptureDiff
{
    /// <summary>Appends the actions of one row to <paramref name="actions"/>, numbered after <paramref name="head"/>
    /// and the actions already there.</summary>
    public static void Append(List<LogEntry> actions, long head, string modelName, string id, RowImage? before, RowImage? after)
    {
        if (after is null)
        {
            if (before is { SyncGroups.Count: > 0 })
            {
                Add(actions, head, SyncActionKinds.Delete, modelName, id, null, before.SyncGroups);
            }
            return;
        }
        if (before is null)
        {
            // A row in no group is readable by nobody, so nobody is told of it.
            if (after.SyncGroups.Count > 0)
            {
                Add(actions, head, SyncActionKinds.Insert, modelName, id, after.Json, after.SyncGroups);
            }
            return;
        }
        if (before.SameAs(after))
        {
            return;
        }
        // Readers of a group the row leaves learn that it is gone for them, without seeing its new data; readers of
        // a group it enters get it whole with the update, as a mutator's move does.
        string[] left = [.. before.SyncGroups.Except(after.SyncGroups, StringComparer.Ordinal)];
        if (left.Length > 0)
        {
            Add(actions, head, SyncActionKinds.Delete, modelName, id, null, left);
        }
        if (after.SyncGroups.Count > 0)
        {
            Add(actions, head, SyncActionKinds.Update, modelName, id, after.Json, after.SyncGroups);
        }
    }

    private static void Add(List<LogEntry> actions, long head, string action, string modelName, string id, string? json, IReadOnlyList<string> groups) =>
        actions.Add(new LogEntry(head + actions.Count + 1, action, modelName, id, json, groups, null, null));
}
