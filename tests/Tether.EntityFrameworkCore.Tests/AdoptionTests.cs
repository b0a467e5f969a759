using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>Adding Tether to an app whose database already has its tables and rows.</summary>
public abstract class AdoptionTests
{
    private static readonly Guid BoardId = Guid.Parse("8d0f5e2b-7a61-4c3d-b9e8-2f1a0c4d6e7b");

    protected abstract bool OnPostgres { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_apps_existing_rows_are_served_by_bootstrap_at_once_with_no_backfill_and_only_tethers_tables_are_added()
    {
        await using AppDatabase database = await AppDatabase.CreateAsync(OnPostgres);
        // The app, before Tether: its own tables and rows, written with its own context.
        await using (BoardDb app = AppContext(database))
        {
            await app.Database.EnsureCreatedAsync(Ct);
            app.Members.Add(new Member { Id = "t1:alice", TeamId = "t1", UserId = "alice" });
            app.Boards.Add(new Board { Id = BoardId, TeamId = "t1", Name = "Existing" });
            app.Cards.Add(new Card { Id = "c1", BoardId = BoardId, TeamId = "t1", Assignee = "bob", Title = "Existing card", Points = 2, InternalNotes = "secret" });
            app.Cards.Add(new Card { Id = "c2", BoardId = BoardId, TeamId = "t2", Title = "Another team's" });
            app.Tags.Add(new Tag { Id = 1, Label = "everyone" });
            await app.SaveChangesAsync(Ct);
        }
        string[] appTables = await TablesAsync(database);
        string appSchema = await SchemaAsync(database, appTables);

        await using (TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            PostgresConnection = database.PostgresConnection,
            Configuration = database.SqlitePath is { } path ? new Dictionary<string, string?> { ["database"] = path } : new Dictionary<string, string?>(),
        }))
        {
            using SyncApi alice = server.Api("alice");
            BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });

            Assert.Equal(0, bootstrap.FirstSyncId);
            Assert.Equal([("board", BoardId.ToString()), ("card", "c1"), ("member", "t1:alice"), ("tag", "1")], bootstrap.Rows.Keys.Order());
            Assert.Equal(
                $$"""{"id":"c1","boardId":"{{BoardId}}","teamId":"t1","assignee":"bob","title":"Existing card","points":2}""",
                bootstrap.Rows[("card", "c1")].GetRawText());
            JsonElement delta = await alice.DeltaAsync(0);
            Assert.Empty(delta.GetProperty("sync").EnumerateArray());
            Assert.Equal(0, delta.GetProperty("lastSyncId").GetInt64());

            // The rows are Tether's records from now on: a mutator changes them and the change is the log's first action.
            Assert.Equal(1, await alice.ApplyAsync("a1", 1, "updateCard", new { id = "c1", patch = new { title = "Changed" } }));
            Assert.Equal("secret", await database.ScalarAsync("SELECT \"InternalNotes\" FROM cards WHERE \"Id\" = 'c1'"));
        }

        Assert.Equal(appSchema, await SchemaAsync(database, appTables));
        string[] added = [.. (await TablesAsync(database)).Except(appTables)];
        Assert.Equal(await BuiltInStoreTablesAsync(), added);
        // SQLite keeps the counter of Tether's AUTOINCREMENT log in a table of its own.
        Assert.All(added, table => Assert.True(table.StartsWith("tether_", StringComparison.Ordinal) || table == "sqlite_sequence", $"Tether added the table {table}"));
    }

    private static BoardDb AppContext(AppDatabase database)
    {
        var options = new DbContextOptionsBuilder<BoardDb>();
        database.Configure(options);
        return new BoardDb(options.Options);
    }

    /// <summary>The tables the built-in store of the provider makes in an empty database of its own.</summary>
    private async Task<string[]> BuiltInStoreTablesAsync()
    {
        await using AppDatabase empty = await AppDatabase.CreateAsync(OnPostgres);
        ITetherStore store = OnPostgres
            ? new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = empty.PostgresConnection! })
            : new SqliteTetherStore(new SqliteStoreOptions { Path = empty.SqlitePath! });
        await using (store)
        {
            await store.InitializeAsync(Ct);
        }
        return await TablesAsync(empty);
    }

    private static async Task<string[]> TablesAsync(AppDatabase database)
    {
        string? names = (string?)await database.ScalarAsync(database.IsPostgres
            ? "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'"
            : "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)");
        return names is null ? [] : names.Split(',');
    }

    /// <summary>The definitions of <paramref name="tables"/>: columns, constraints and indexes.</summary>
    private static async Task<string> SchemaAsync(AppDatabase database, string[] tables)
    {
        string list = string.Join(",", tables.Select(t => $"'{t}'"));
        return (string)(await database.ScalarAsync(database.IsPostgres
            ? $"""
               SELECT string_agg(definition, E'\n' ORDER BY definition) FROM (
                   SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS definition
                   FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ({list})
                   UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ({list})
                   UNION ALL SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text IN ({list})
               ) AS d
               """
            : $"SELECT group_concat(sql, char(10)) FROM (SELECT sql FROM sqlite_master WHERE tbl_name IN ({list}) AND sql IS NOT NULL ORDER BY sql)"))!;
    }
}

public sealed class SqliteAdoptionTests : AdoptionTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlAdoptionTests : AdoptionTests
{
    protected override bool OnPostgres => true;
}
