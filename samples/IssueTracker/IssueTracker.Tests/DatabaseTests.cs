using IssueTracker.Entities;
using IssueTracker.Server.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tether.Server.Tests.Harness;

namespace IssueTracker.Tests;

/// <summary>The sample's own tables (<see cref="IssueTrackerDb"/>): made by its EF Core migrations when the server
/// starts, on SQLite and on PostgreSQL, holding the records the mutators write, indexed on the group columns.</summary>
public sealed class DatabaseTests
{
    private static SqliteIssueTrackerDb OpenSqlite(string path)
        => new(new DbContextOptionsBuilder<SqliteIssueTrackerDb>().UseSqlite(new SqliteConnectionStringBuilder { DataSource = path }.ToString()).Options);

    [Fact]
    public void The_migrations_of_each_database_are_up_to_date_with_the_model()
    {
        // Comparing the model with the migrations' snapshot needs no database.
        using var sqlite = OpenSqlite(":memory:");
        using var postgres = new PostgresIssueTrackerDb(new DbContextOptionsBuilder<PostgresIssueTrackerDb>().UseNpgsql("Host=unused").Options);

        Assert.False(sqlite.Database.HasPendingModelChanges(), "the SQLite model changed: dotnet ef migrations add <Name> --context SqliteIssueTrackerDb --output-dir Data/Migrations/Sqlite");
        Assert.False(postgres.Database.HasPendingModelChanges(), "the PostgreSQL model changed: dotnet ef migrations add <Name> --context PostgresIssueTrackerDb --output-dir Data/Migrations/Postgres");
        Assert.NotEmpty(sqlite.Database.GetMigrations());
        Assert.Equal(sqlite.Database.GetMigrations().Select(m => m[15..]), postgres.Database.GetMigrations().Select(m => m[15..]));
    }

    [Fact]
    public async Task A_new_sqlite_file_gets_the_tables_from_the_migrations_with_indexes_on_the_group_columns_and_keeps_them_across_a_restart()
    {
        TestServer server = await TestServer.StartAsync();
        try
        {
            using (SyncApi alice = server.Api("alice"))
            {
                var seed = new Seed(alice, "a");
                await seed.TeamWithProjectAsync("t1", "p1");
                await seed.IssueAsync("i1", "p1", "In the app's table");
            }
            server = await server.RestartAsync();

            await using SqliteIssueTrackerDb db = OpenSqlite(server.DataPath);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
            Issue issue = await db.Issues.SingleAsync(TestContext.Current.CancellationToken);
            Assert.Equal(("i1", "t1", "In the app's table"), (issue.Id, issue.TeamId, issue.Title));
            Assert.Equal("t1:alice", (await db.Members.SingleAsync(TestContext.Current.CancellationToken)).Id);
            string[] indexes = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'index' AND name LIKE 'IX_%'")
                .ToArrayAsync(TestContext.Current.CancellationToken);
            Assert.Equal(
                ["IX_Comments_IssueId", "IX_Comments_TeamId", "IX_Issues_ProjectId", "IX_Issues_TeamId", "IX_Members_TeamId", "IX_Members_UserId", "IX_Projects_TeamId"],
                indexes.Order(StringComparer.Ordinal));
            using SyncApi again = server.Api("alice");
            Assert.Contains(("issue", "i1"), (await again.BootstrapAsync(new { type = "eager", models = new[] { "issue" } })).Rows.Keys);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task On_postgres_the_server_migrates_its_database_and_serves_the_mutators_and_the_endpoint_from_it()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1", "Through a mutator");

        using HttpResponseMessage created = await alice.Http.PostAsync("/api/projects/p1/issues",
            new StringContent("""{"id":"i2","title":"Through the endpoint"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await using var db = new PostgresIssueTrackerDb(new DbContextOptionsBuilder<PostgresIssueTrackerDb>().UseNpgsql(server.PostgresConnection).Options);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["i1", "i2"], await db.Issues.Select(i => i.Id).OrderBy(id => id).ToArrayAsync(TestContext.Current.CancellationToken));
        BootstrapResult rows = await alice.BootstrapAsync(new { type = "eager", models = new[] { "issue" } });
        Assert.Equal([("issue", "i1"), ("issue", "i2")], rows.Rows.Keys.Order());
    }
}
