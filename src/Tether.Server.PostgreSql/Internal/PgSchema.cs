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
        // The sequencer's step: the log is written from the write-ahead log by one elected node. tether_head keeps
        // the WAL position the log reaches (stored with the log, so each change becomes an action exactly once) and
        // the leader's epoch, which fences a leader that lost its lock. A record's groups are a column of its row,
        // so the sequencer reads them from the WAL with the row. tether_wal_transactions maps each sequenced
        // transaction to its syncIds: what a push waits for, and what places a snapshot exactly in the log.
        """
        ALTER TABLE tether_head
            ADD COLUMN epoch bigint NOT NULL DEFAULT 0,
            ADD COLUMN lsn pg_lsn,
            ADD COLUMN last_commit_lsn pg_lsn;

        ALTER TABLE tether_records ADD COLUMN groups text[] COLLATE "C" NOT NULL DEFAULT '{}';
        UPDATE tether_records r SET groups = ARRAY(
            SELECT g.name FROM tether_record_groups rg JOIN tether_groups g ON g.id = rg.group_id
            WHERE rg.model = r.model AND rg.id = r.id ORDER BY g.name);

        CREATE TABLE tether_wal_transactions(
            commit_lsn pg_lsn PRIMARY KEY,
            xid bigint NOT NULL,
            first_sync_id bigint NOT NULL,
            last_sync_id bigint NOT NULL,
            batch_key text,
            committed_at timestamptz NOT NULL);
        CREATE INDEX tether_wal_transactions_by_xid ON tether_wal_transactions(xid);
        CREATE INDEX tether_wal_transactions_by_first ON tether_wal_transactions(first_sync_id);
        CREATE INDEX tether_wal_transactions_by_key ON tether_wal_transactions(batch_key) WHERE batch_key IS NOT NULL;

        -- Every round of the sequencer moves the head through this: a leader whose epoch is no longer the current
        -- one, or whose idea of the head is stale, writes nothing.
        CREATE FUNCTION tether_advance_head(p_epoch bigint, p_from bigint, p_to bigint, p_lsn pg_lsn, p_commit pg_lsn)
        RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE tether_head SET sync_id = p_to, lsn = p_lsn, last_commit_lsn = p_commit
             WHERE epoch = p_epoch AND sync_id = p_from;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'tether: the sequencer of epoch % is no longer the leader, or the head moved', p_epoch
                    USING ERRCODE = 'TH001';
            END IF;
        END $$;
        """,

        // When each round of the sequencer wrote the log, by the round's last syncId: retention by age compacts the
        // log up to the last round older than the age it keeps.
        """
        CREATE TABLE tether_log_times(
            sync_id bigint PRIMARY KEY,
            committed_at timestamptz NOT NULL);
        """,
    ];
}
