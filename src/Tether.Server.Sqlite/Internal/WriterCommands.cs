using Microsoft.Data.Sqlite;
using Tether.Sqlite;

namespace Tether.Server.Sqlite.Internal;

/// <summary>
/// The writer's statements, created once and reused: Microsoft.Data.Sqlite keeps a command's prepared statements
/// while its text stays the same, so the hot path binds values instead of compiling SQL per mutation.
/// </summary>
internal sealed class WriterCommands : SqliteCommandSet
{
    public WriterCommands(SqliteConnection connection)
        : base(connection, prepare: false)
    {
        Begin = Create("BEGIN IMMEDIATE");
        Commit = Create("COMMIT");
        Rollback = Create("ROLLBACK");
        ReadHead = Create(Sql.ReadHead);

        GetRecord = Create(Sql.GetRecord, "$model", "$id");
        ListRecords = Create(Sql.ListRecords, "$model", "$group");
        // One command, three statements: upsert the data, drop links to groups it left, add the new ones. Links that
        // stay are not rewritten, so an update that keeps its groups touches no index page of tether_record_groups.
        PutRecord = Create(
            "INSERT INTO tether_records(model, id, data) VALUES($model, $id, $data) " +
            "ON CONFLICT(model, id) DO UPDATE SET data = excluded.data; " +
            "DELETE FROM tether_record_groups WHERE model = $model AND id = $id " +
            "AND group_id NOT IN (SELECT value FROM json_each($groups)); " +
            "INSERT OR IGNORE INTO tether_record_groups(model, id, group_id) SELECT $model, $id, value FROM json_each($groups);",
            "$model", "$id", "$data", "$groups");
        DeleteRecord = Create(
            "DELETE FROM tether_records WHERE model = $model AND id = $id; " +
            "DELETE FROM tether_record_groups WHERE model = $model AND id = $id;",
            "$model", "$id");

        FindGroup = Create("SELECT id FROM tether_groups WHERE name = $name", "$name");
        InsertGroup = Create("INSERT INTO tether_groups(name) VALUES($name)", "$name");

        InsertAction = Create(Sql.InsertAction, "$syncId", "$action", "$model", "$modelId", "$data", "$client", "$mutation");
        MarkCommitTime = Create(Sql.MarkCommitTime, "$syncId", "$at");
        LinkAction = Create(
            "INSERT INTO tether_action_groups(sync_id, group_id) SELECT $syncId, value FROM json_each($groups)",
            "$syncId", "$groups");
        InsertGroupChange = Create(Sql.InsertGroupChange, "$syncId", "$user");

        GetClient = Create(Sql.GetClient, "$client");
        SetLastMutationId = Create(
            "INSERT INTO tether_clients(client_id, user_id, last_mutation_id) VALUES($client, $user, $last) " +
            "ON CONFLICT(client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id",
            "$client", "$user", "$last");
        AddRejection = Create(
            "INSERT OR REPLACE INTO tether_rejections(client_id, mutation_id, code, message) VALUES($client, $mutation, $code, $message)",
            "$client", "$mutation", "$code", "$message");
        GetRejection = Create(
            "SELECT code, message FROM tether_rejections WHERE client_id = $client AND mutation_id = $mutation", "$client", "$mutation");
        ForgetRejections = Create(
            "DELETE FROM tether_rejections WHERE client_id = $client AND mutation_id < $mutation", "$client", "$mutation");
        Compact = Create(
            "DELETE FROM tether_action_groups WHERE sync_id <= $upTo; " +
            "DELETE FROM tether_actions WHERE sync_id <= $upTo; " +
            "DELETE FROM tether_group_changes WHERE sync_id <= $upTo; " +
            "DELETE FROM tether_log_times WHERE sync_id <= $upTo; " +
            "UPDATE tether_meta SET value = max(value, $upTo) WHERE key = 'horizon';",
            "$upTo");
    }

    public SqliteCommand AddRejection { get; }
    public SqliteCommand GetRejection { get; }
    public SqliteCommand ForgetRejections { get; }

    public SqliteCommand Begin { get; }
    public SqliteCommand Commit { get; }
    public SqliteCommand Rollback { get; }
    public SqliteCommand ReadHead { get; }
    public SqliteCommand GetRecord { get; }
    public SqliteCommand ListRecords { get; }
    public SqliteCommand PutRecord { get; }
    public SqliteCommand DeleteRecord { get; }
    public SqliteCommand FindGroup { get; }
    public SqliteCommand InsertGroup { get; }
    public SqliteCommand InsertAction { get; }

    public SqliteCommand MarkCommitTime { get; }
    public SqliteCommand LinkAction { get; }
    public SqliteCommand InsertGroupChange { get; }
    public SqliteCommand GetClient { get; }
    public SqliteCommand SetLastMutationId { get; }
    public SqliteCommand Compact { get; }
}
