namespace Tether.Server.PostgreSql.Internal;

/// <summary>
/// Tether's own tables, versioned in <c>tether_meta</c>. Ids and names are <c>COLLATE "C"</c> so that their order is
/// byte order, the ordinal order the SQLite store and the cursors over ids assume.
/// </summary>
internal static class PgSchema
{
    /// <summary>Every node may start at once: the migration runs under this advisory lock.</summary>
    public const long MigrationLockKey = 0x7465746865720001;

    public static readonly string[] Steps =
    [
        """
        CREATE TABLE tether_groups(
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text COLLATE "C" NOT NULL UNIQUE);

        CREATE TABLE tether_records(
            model text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            data text NOT NULL,
            PRIMARY KEY(model, id));

        CREATE TABLE tether_record_groups(
            model text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            group_id bigint NOT NULL,
            PRIMARY KEY(model, id, group_id));
        CREATE INDEX tether_record_groups_by_group ON tether_record_groups(group_id, model, id);

        -- syncIds come from tether_head, whose row every writer locks before writing (see PgWriteTransaction):
        -- they are assigned and committed in one order, so no reader ever sees a hole that fills later.
        CREATE TABLE tether_head(
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            sync_id bigint NOT NULL);
        INSERT INTO tether_head(sync_id) VALUES (0);

        CREATE TABLE tether_actions(
            sync_id bigint PRIMARY KEY,
            action text NOT NULL,
            model text NOT NULL,
            model_id text NOT NULL,
            data text,
            client_id text,
            mutation_id bigint);

        CREATE TABLE tether_action_groups(
            sync_id bigint NOT NULL,
            group_id bigint NOT NULL,
            PRIMARY KEY(sync_id, group_id));
        CREATE INDEX tether_action_groups_by_group ON tether_action_groups(group_id, sync_id);

        CREATE TABLE tether_group_changes(
            sync_id bigint NOT NULL,
            user_id text NOT NULL,
            PRIMARY KEY(sync_id, user_id));

        CREATE TABLE tether_clients(
            client_id text PRIMARY KEY,
            user_id text NOT NULL,
            last_mutation_id bigint NOT NULL);

        CREATE TABLE tether_rejections(
            client_id text NOT NULL,
            mutation_id bigint NOT NULL,
            code text NOT NULL,
            message text NOT NULL,
            PRIMARY KEY(client_id, mutation_id));

        INSERT INTO tether_meta(key, value) VALUES ('horizon', 0);
        """,
    ];
}
