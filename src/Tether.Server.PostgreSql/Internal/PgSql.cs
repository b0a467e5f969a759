namespace Tether.Server.PostgreSql.Internal;

/// <summary>The statements of the store, shared by the writer and the readers so both read the same shape.</summary>
internal static class PgSql
{
    public const string CommitChannel = "tether_commits";

    public const string ReadHead = "SELECT sync_id FROM tether_head";

    /// <summary>Holds the head where it is until the transaction ends: the sequencer's next round waits for it.</summary>
    public const string LockHead = "SELECT sync_id FROM tether_head FOR UPDATE";

    public const string ReadHorizon = "SELECT value FROM tether_meta WHERE key = 'horizon'";

    // A record's groups are stored sorted by name (ordinal), so its list is stable between reads.
    public const string GetRecord = "SELECT r.data, r.groups FROM tether_records r WHERE r.model = @model AND r.id = @id";

    /// <summary><see cref="GetRecord"/> with the row's version, for a writer's later check.</summary>
    public const string GetRecordVersion = "SELECT r.data, r.groups, r.xmin::text FROM tether_records r WHERE r.model = @model AND r.id = @id";

    public const string ListRecordVersions =
        "SELECT r.id, r.data, r.groups, r.xmin::text FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT id FROM tether_groups WHERE name = @group) AND m.model = @model ORDER BY m.id";

    public const string ListRecords =
        "SELECT r.id, r.data, r.groups FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT id FROM tether_groups WHERE name = @group) AND m.model = @model ORDER BY m.id";

    public const string ReadRecordsAfter =
        "SELECT r.id, r.data FROM tether_record_groups m JOIN tether_records r ON r.model = m.model AND r.id = m.id " +
        "WHERE m.group_id = (SELECT id FROM tether_groups WHERE name = @group) AND m.model = @model AND m.id > @after ORDER BY m.id";

    public const string ReadRecords =
        "SELECT r.model, r.id, r.data FROM tether_records r WHERE r.model = ANY(@models) " +
        "AND EXISTS (SELECT 1 FROM tether_record_groups m JOIN tether_groups g ON g.id = m.group_id " +
        "WHERE m.model = r.model AND m.id = r.id AND g.name = ANY(@groups)) ORDER BY r.model, r.id";

    private const string LogColumns =
        "SELECT a.sync_id, a.action, a.model, a.model_id, a.data, a.client_id, a.mutation_id, " +
        "ARRAY(SELECT g.name FROM tether_action_groups ag JOIN tether_groups g ON g.id = ag.group_id WHERE ag.sync_id = a.sync_id ORDER BY g.name) " +
        "FROM tether_actions a WHERE a.sync_id > @after AND a.sync_id <= @upTo ";

    public const string ReadLog = LogColumns + "ORDER BY a.sync_id LIMIT @limit";

    public const string ReadVisibleLog = LogColumns +
        "AND EXISTS (SELECT 1 FROM tether_action_groups v JOIN tether_groups g ON g.id = v.group_id " +
        "WHERE v.sync_id = a.sync_id AND g.name = ANY(@groups)) ORDER BY a.sync_id LIMIT @limit";

    public const string ReadGroupChanges =
        "SELECT sync_id, user_id FROM tether_group_changes WHERE sync_id > @after AND sync_id <= @upTo ORDER BY sync_id, user_id";

    public const string GetClient = "SELECT user_id, last_mutation_id FROM tether_clients WHERE client_id = @client";

    /// <summary>A batch's clients, each at most once.</summary>
    public const string SetLastMutationIds =
        "INSERT INTO tether_clients(client_id, user_id, last_mutation_id) SELECT * FROM unnest(@clients::text[], @users::text[], @lasts::int8[]) " +
        "ON CONFLICT (client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id";

    public const string AddRejection =
        "INSERT INTO tether_rejections(client_id, mutation_id, code, message) VALUES (@client, @mutation, @code, @message) " +
        "ON CONFLICT (client_id, mutation_id) DO UPDATE SET code = excluded.code, message = excluded.message";

    public const string GetRejection = "SELECT code, message FROM tether_rejections WHERE client_id = @client AND mutation_id = @mutation";

    public const string ForgetRejections = "DELETE FROM tether_rejections WHERE client_id = @client AND mutation_id < @mutation";

    private const string EnsureGroups = "INSERT INTO tether_groups(name) SELECT unnest(@groups::text[]) ON CONFLICT (name) DO NOTHING";

    private const string SortedGroups = "ARRAY(SELECT DISTINCT g COLLATE \"C\" FROM unnest(@groups::text[]) g ORDER BY 1)";

    private const string LinkGroups =
        EnsureGroups + "; " +
        "INSERT INTO tether_record_groups(model, id, group_id) SELECT @model, @id, id FROM tether_groups WHERE name = ANY(@groups)";

    private const string UnlinkGroups = "DELETE FROM tether_record_groups WHERE model = @model AND id = @id";

    /// <summary>A record whose groups stay: its links stay too.</summary>
    public const string UpdateRecordData = "UPDATE tether_records SET data = @data WHERE model = @model AND id = @id";

    /// <summary>A record moving to other groups.</summary>
    public const string UpdateRecord =
        "UPDATE tether_records SET data = @data, groups = " + SortedGroups + " WHERE model = @model AND id = @id; " +
        UnlinkGroups + "; " + LinkGroups;

    /// <summary>Tether's marker in the write-ahead log: the first statement of a write transaction on the sequencer's path.</summary>
    public const string EmitMarker = "SELECT pg_logical_emit_message(true, '" + Sequencing.MarkerMessage.Prefix + "', @marker)";

    public const string DeleteRecord =
        "DELETE FROM tether_record_groups WHERE model = @model AND id = @id; DELETE FROM tether_records WHERE model = @model AND id = @id";

    public const string Compact =
        "DELETE FROM tether_action_groups WHERE sync_id <= @upTo; DELETE FROM tether_actions WHERE sync_id <= @upTo; " +
        "DELETE FROM tether_group_changes WHERE sync_id <= @upTo; DELETE FROM tether_log_times WHERE sync_id <= @upTo; " +
        "UPDATE tether_meta SET value = greatest(value, @upTo) WHERE key = 'horizon'";

    public const string SyncIdAt = "SELECT COALESCE(max(sync_id), 0) FROM tether_log_times WHERE committed_at <= @at";
}
