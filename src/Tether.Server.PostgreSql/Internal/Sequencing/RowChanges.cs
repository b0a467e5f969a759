using Tether.Protocol;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The rows one transaction changed, and the sync actions that take their readers from what they saw before it to
/// what it committed. Only the two states count, not the statements in between: a row inserted and deleted again
/// leaves nothing, a row written back unchanged leaves nothing either. This is the SaveChanges capture's rule, so a
/// change makes the same actions whichever way it was observed.
/// </summary>
internal sealed class RowChanges
{
    private readonly Dictionary<(string Model, string Id), int> _index = [];
    private readonly List<Change> _changes = [];

    /// <summary>The number of rows changed so far.</summary>
    public int Count => _changes.Count;

    public void Clear()
    {
        _index.Clear();
        _changes.Clear();
    }

    /// <summary>Notes one change of a row, from one of its states to the next (null: the row is not there). A
    /// change of its key leaves the old record and makes a new one.</summary>
    public void Add(ChangedRow? before, ChangedRow? after)
    {
        if (before is { } old && after is { } now && (old.Model != now.Model || old.Row.Id != now.Row.Id))
        {
            Add(old, null);
            Add(null, now);
            return;
        }
        ChangedRow row = before ?? after ?? throw new ArgumentException("A change has a row before it or after it.");
        var key = (row.Model, row.Row.Id);
        if (_index.TryGetValue(key, out int at))
        {
            _changes[at] = _changes[at] with { After = after?.Row };
        }
        else
        {
            _index.Add(key, _changes.Count);
            _changes.Add(new Change(row.Model, row.Row.Id, before?.Row, after?.Row));
        }
    }

    /// <summary>The actions, in the order of each row's first change, attributed to the mutations the marker names;
    /// and the users to re-resolve: the marker's, and those whose groups a changed row decides. Nobody is to be
    /// re-resolved when there is no action, as there is then no syncId to place it at.</summary>
    public (List<ActionDraft> Actions, List<string> GroupChangeUsers) ToActions(MarkerMessage? marker)
    {
        var actions = new List<ActionDraft>();
        var users = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string user in marker?.Users ?? [])
        {
            if (seen.Add(user))
            {
                users.Add(user);
            }
        }
        foreach (Change change in _changes)
        {
            int count = actions.Count;
            Append(actions, change, marker);
            if (actions.Count > count)
            {
                AddOwners(users, seen, change.Before);
                AddOwners(users, seen, change.After);
            }
        }
        return actions.Count == 0 ? (actions, []) : (actions, users);
    }

    private static void Append(List<ActionDraft> actions, Change change, MarkerMessage? marker)
    {
        (PgSyncedRow? before, PgSyncedRow? after) = (change.Before, change.After);
        if (after is null)
        {
            if (before is { SyncGroups.Count: > 0 })
            {
                Add(actions, marker, SyncActionKinds.Delete, change, null, before.SyncGroups);
            }
            return;
        }
        if (before is null)
        {
            // A row in no group is readable by nobody, so nobody is told of it.
            if (after.SyncGroups.Count > 0)
            {
                Add(actions, marker, SyncActionKinds.Insert, change, after.Json, after.SyncGroups);
            }
            return;
        }
        if (before.Json == after.Json && SameGroups(before.SyncGroups, after.SyncGroups))
        {
            return;
        }
        // Readers of a group the row leaves learn that it is gone for them, without seeing its new data; readers of
        // a group it enters get it whole with the update, as a mutator's move does.
        List<string>? left = null;
        foreach (string group in before.SyncGroups)
        {
            if (!Contains(after.SyncGroups, group) && !(left?.Contains(group, StringComparer.Ordinal) ?? false))
            {
                (left ??= []).Add(group);
            }
        }
        if (left is not null)
        {
            Add(actions, marker, SyncActionKinds.Delete, change, null, left);
        }
        if (after.SyncGroups.Count > 0)
        {
            Add(actions, marker, SyncActionKinds.Update, change, after.Json, after.SyncGroups);
        }
    }

    private static void Add(List<ActionDraft> actions, MarkerMessage? marker, string action, Change change, string? json, IReadOnlyList<string> groups)
    {
        if (marker is not null && marker.TryGetWriter(change.Model, change.Id, out string clientId, out long mutationId))
        {
            actions.Add(new ActionDraft(action, change.Model, change.Id, json, groups, clientId, mutationId));
        }
        else
        {
            actions.Add(new ActionDraft(action, change.Model, change.Id, json, groups, null, null));
        }
    }

    // As the capture compares them: as many groups, and each of one among the other's.
    private static bool SameGroups(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        foreach (string group in a)
        {
            if (!Contains(b, group))
            {
                return false;
            }
        }
        return true;
    }

    private static bool Contains(IReadOnlyList<string> groups, string group)
    {
        for (int i = 0; i < groups.Count; i++)
        {
            if (string.Equals(groups[i], group, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static void AddOwners(List<string> users, HashSet<string> seen, PgSyncedRow? row)
    {
        foreach (string user in row?.GroupOwners ?? [])
        {
            if (seen.Add(user))
            {
                users.Add(user);
            }
        }
    }

    /// <summary>A row's first state in the transaction and its last.</summary>
    private readonly record struct Change(string Model, string Id, PgSyncedRow? Before, PgSyncedRow? After);
}
