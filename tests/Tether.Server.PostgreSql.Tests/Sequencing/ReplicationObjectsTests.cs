using Npgsql;
using NpgsqlTypes;
using Tether.Server.PostgreSql.Internal.Sequencing;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>What the migrator makes for the sequencer: replica identity, publication, slot, and the head's position.</summary>
public sealed class ReplicationObjectsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Initializing_makes_the_publication_the_slot_and_full_replica_identity_and_places_the_head_at_the_slot()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();

        Assert.Equal("f", await db.ScalarAsync("SELECT relreplident::text FROM pg_class WHERE relname = 'tether_records'"));
        Assert.Equal("tether_records", await db.ScalarAsync("SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'tether_sync'"));
        var slotLsn = (NpgsqlLogSequenceNumber)(await db.ScalarAsync($"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{db.Store.SlotName}' AND plugin = 'pgoutput'"))!;
        Assert.Equal(slotLsn, await db.ScalarAsync("SELECT lsn FROM tether_head"));
        Assert.Equal(slotLsn, await db.ScalarAsync("SELECT last_commit_lsn FROM tether_head"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT sync_id FROM tether_head"));
        Assert.Equal(0L, await db.ScalarAsync("SELECT value FROM tether_meta WHERE key = 'horizon'"));
    }

    [Fact]
    public async Task Initializing_again_changes_nothing()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync();
        object? lsn = await db.ScalarAsync("SELECT lsn FROM tether_head");

        await db.Store.InitializeAsync(Ct);

        Assert.Equal(lsn, await db.ScalarAsync("SELECT lsn FROM tether_head"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
    }

    [Fact]
    public async Task A_synced_table_of_the_app_is_published_with_full_replica_identity_and_a_table_added_later_joins_the_publication()
    {
        await using SequencerDatabase db = await SequencerDatabase.CreateAsync(beforeInitialize: async connection =>
        {
            await using var create = new NpgsqlCommand("CREATE TABLE \"Issues\"(\"Id\" text PRIMARY KEY); CREATE TABLE \"Teams\"(\"Id\" text PRIMARY KEY)", connection);
            await create.ExecuteNonQueryAsync(Ct);
        }, configure: options => options.SyncedTables.Add(new NamedTable("public", "Issues")));
        Assert.Equal("Issues,tether_records", await db.ScalarAsync("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'tether_sync'"));
        Assert.Equal("f", await db.ScalarAsync("SELECT relreplident::text FROM pg_class WHERE relname = 'Issues'"));

        var options = new PostgreSqlStoreOptions { ConnectionString = db.Database.ConnectionString };
        options.SyncedTables.Add(new NamedTable("public", "Issues"));
        options.SyncedTables.Add(new NamedTable("public", "Teams"));
        await using (var store = new PostgreSqlTetherStore(options))
        {
            await store.InitializeAsync(Ct);
        }

        Assert.Equal("Issues,Teams,tether_records", await db.ScalarAsync("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'tether_sync'"));
        Assert.Equal("f", await db.ScalarAsync("SELECT relreplident::text FROM pg_class WHERE relname = 'Teams'"));
    }

    [Fact]
    public async Task A_synced_table_that_does_not_exist_fails_startup_with_a_clear_message()
    {
        await using var database = await Tether.Server.Tests.Harness.PostgresDatabase.CreateAsync();
        var options = new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString };
        options.SyncedTables.Add(new NamedTable("public", "Missing"));
        await using var store = new PostgreSqlTetherStore(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(Ct));

        Assert.Contains("public.Missing does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slot_made_for_a_log_that_already_has_actions_resets_the_log_so_every_client_bootstraps()
    {
        await using var database = await Tether.Server.Tests.Harness.PostgresDatabase.CreateAsync();
        await using (var before = new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString }))
        {
            await before.InitializeAsync(Ct);
        }
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            // The log grew while no slot existed (as under a store that wrote the log itself).
            await using var grow = new NpgsqlCommand(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database(); " +
                "UPDATE tether_head SET sync_id = 41, lsn = NULL, last_commit_lsn = NULL", connection);
            await grow.ExecuteNonQueryAsync(Ct);
        }
        await using var store = new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString });

        await store.InitializeAsync(Ct);

        await using var check = new NpgsqlConnection(database.ConnectionString);
        await check.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT sync_id, (SELECT value FROM tether_meta WHERE key = 'horizon'), lsn IS NOT NULL FROM tether_head", check);
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal(42L, reader.GetInt64(0));
        Assert.Equal(42L, reader.GetInt64(1));
        Assert.True(reader.GetBoolean(2));
    }

    [Fact]
    public void The_default_slot_name_is_the_database_name_made_safe_and_short_enough()
    {
        Assert.Equal("tether_my_app_db", PgReplication.DefaultSlotName("My-App.DB"));
        Assert.Equal(63, PgReplication.DefaultSlotName(new string('x', 100)).Length);
    }

    /// <summary>Only the names matter to the migrator.</summary>
    private sealed class NamedTable(string schema, string table) : PgSyncedTable
    {
        public override string Schema => schema;

        public override string Table => table;

        public override string ModelName => table;

        public override IReadOnlyList<PgSyncedColumn> Columns => [new("Id", typeof(string))];

        public override PgSyncedRow Read(IReadOnlyList<object?> values) => new((string)values[0]!, "{}", [], []);
    }
}
