namespace Tether.Server.Sqlite.Internal;

/// <summary>The statements shared by the writer and the readers, kept in one place so both read the same shape.</summary>
internal static class Sql
{
    // Committed head: sqlite_sequence still holds the last syncId after compaction emptied the table.
    public const string ReadHead = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tether_actions'), 0)";

    public const string ReadHorizon = "SELECT value FROM tether_meta WHERE key = 'horizon'";

    /// <summary>A write that changes nothing: in a transaction begun DEFERRED it takes the file's write lock, so the
    /// head read after it stays the head until that transaction ends.</summary>
    public const string TakeWriteLock = "UPDATE tether_meta SET value = value WHERE key = 'horizon'";

    /// <summary>The time of a commit, by its last syncId ($syncId), as Unix milliseconds ($at).</summary>
    public const string MarkCommitTime = "INSERT OR REPLACE INTO tether_log_times(sync_id, committed_at) VALUES($syncId, $at)";

    /// <summary>The last syncId of a commit made at or before $at (Unix milliseconds), or 0.</summary>
    public const string SyncIdAt = "SELECT COALESCE(max(sync_id), 0) FROM tether_log_times WHERE committed_at <= $at";

    public const string InsertAction =
        "INSERT INTO tether_actions(sync_id, action, model, model_id, data, client_id, mutation_id) " +
        "VALUES($syncId, $action, $model, $modelId, $data, $client, $mutation)";

    public const string InsertGroupChange = "INSERT OR IGNORE INTO tether_group_changes(sync_id, user_id) VALUES($syncId, $user)";

    /// <summary>Links an action to its groups given by name ($groups, a JSON array), adding the names not known yet:
    /// for a connection that is not the writer's, whose interned ids the writer's cache must never learn.</summary>
    public const string LinkActionByName =
        "INSERT OR IGNORE INTO tether_groups(name) SELECT value FROM json_each($groups); " +
        "INSERT INTO tether_action_groups(sync_id, group_id) SELECT $syncId, id FROM tether_groups WHERE name IN (SELECT value FROM json_each($groups))";

    // Groups come back sorted by name so a record's or an action's list is stable between reads.
    private const string RecordGroupsOf =
        "(SELECT json_group_array(g.name ORDER BY g.name) FROM tether_record_groups rg JOIN tether_groups g ON g.id = rg.group_id " +
        "WHERE rg.model = r.model AND rg.id = r.id)";

    public const string GetRecord =
        "SELECT r.data, " + RecordGroupsOf + " FROM tether_records r WHERE r.model = $model AND r.id = $id";

    public const string ListRecords =
        "SELECT r.id, r.data, " + RecordGroupsOf + " FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT id FROM tether_groups WHERE name = $group) AND m.model = $model ORDER BY m.id";

    public const string ReadRecordsAfter =
        "SELECT r.id, r.data FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT id FROM tether_groups WHERE name = $group) AND m.model = $model AND m.id > $after ORDER BY m.id";

    public const string ReadRecords =
        "SELECT r.model, r.id, r.data FROM tether_records r " +
        "WHERE r.model IN (SELECT value FROM json_each($models)) " +
        "AND EXISTS (SELECT 1 FROM tether_record_groups m WHERE m.model = r.model AND m.id = r.id " +
        "AND m.group_id IN (SELECT g.id FROM tether_groups g WHERE g.name IN (SELECT value FROM json_each($groups)))) " +
        "ORDER BY r.model, r.id";

    private const string LogColumns =
        "SELECT a.sync_id, a.action, a.model, a.model_id, a.data, a.client_id, a.mutation_id, " +
        "(SELECT json_group_array(g.name ORDER BY g.name) FROM tether_action_groups ag JOIN tether_groups g ON g.id = ag.group_id " +
        "WHERE ag.sync_id = a.sync_id) FROM tether_actions a WHERE a.sync_id > $after AND a.sync_id <= $upTo ";

    public const string ReadLog = LogColumns + "ORDER BY a.sync_id LIMIT $limit";

    // EXISTS walks the log in syncId order and stops at the limit, instead of collecting every visible id of a
    // long range first; an action in several of the groups still matches once.
    public const string ReadVisibleLog = LogColumns +
        "AND EXISTS (SELECT 1 FROM tether_action_groups v WHERE v.sync_id = a.sync_id " +
        "AND v.group_id IN (SELECT g.id FROM tether_groups g WHERE g.name IN (SELECT value FROM json_each($groups)))) " +
        "ORDER BY a.sync_id LIMIT $limit";

    public const string ReadGroupChanges =
        "SELECT sync_id, user_id FROM tether_group_changes WHERE sync_id > $after AND sync_id <= $upTo ORDER BY sync_id, user_id";

    public const string GetClient = "SELECT user_id, last_mutation_id FROM tether_clients WHERE client_id = $client";
}
