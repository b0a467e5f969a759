using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>An app that writes synced rows at startup, after its own schema work and before Tether's initializer.</summary>
public abstract class StartupSeedingTests
{
    internal static readonly Guid BoardId = Guid.Parse("5b9a3c1e-2d4f-4a6b-8c7d-9e0f1a2b3c4d");

    protected abstract bool OnPostgres { get; }

    private Task<TestServer> StartAsync(Func<BoardDb, Task> seed) => TestServer.StartAsync(new TestServerSettings
    {
        OnPostgres = OnPostgres,
        Builder = tether => tether.Services.AddSingleton(new AppStartup(services => seed(services.GetRequiredService<BoardDb>()))),
    });

    [Fact]
    public async Task Rows_the_app_seeds_with_SaveChanges_before_Tether_starts_are_captured_after_its_EnsureCreated_made_its_tables()
    {
        var tablesBeforeSeeding = new List<bool>();
        await using TestServer server = await StartAsync(async db =>
        {
            // The app's EnsureCreated ran with the capture in place, and left Tether's tables to Tether.
            tablesBeforeSeeding.Add(await TetherTablesExistAsync(db));
            db.Boards.Add(new Board { Id = BoardId, TeamId = "t1", Name = "Seeded" });
            db.Cards.Add(new Card { Id = "c1", BoardId = BoardId, TeamId = "t1", Title = "Seeded card" });
            await db.SaveChangesAsync(Ct);
            db.Cards.Add(new Card { Id = "c2", BoardId = BoardId, TeamId = "t1", Title = "Seeded later" });
            await db.SaveChangesAsync(Ct);
        });

        Assert.Equal([false], tablesBeforeSeeding);
        if (!OnPostgres)
        {
            IReadOnlyList<LogEntry> log = await LogAsync(server);
            AssertGapFree(log, 3);
            Assert.Equal([("insert", "board", BoardId.ToString()), ("insert", "card", "c1"), ("insert", "card", "c2")], Actions(log));
        }
        await AssertServedAsync(server, OnPostgres);
    }

    /// <summary>The seeded rows reach a reader by bootstrap, and the writer goes on after them. On PostgreSQL rows
    /// written before Tether first made its replication slot are not in the log: they are there before any client.</summary>
    internal static async Task AssertServedAsync(TestServer server, bool onPostgres)
    {
        using SyncApi alice = server.Api("alice");
        await PushAsync(alice, "a1", 1, "addMember", new { teamId = "t1", userId = "alice" });
        BootstrapResult bootstrap = await alice.BootstrapAsync(new { type = "eager" });
        Assert.Equal(onPostgres ? 1 : 4, bootstrap.FirstSyncId);
        Assert.Equal([("board", BoardId.ToString()), ("card", "c1"), ("card", "c2"), ("member", "t1:alice")], bootstrap.Rows.Keys.Order());
    }

    private static async Task<bool> TetherTablesExistAsync(BoardDb db)
    {
        DbConnection connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        try
        {
            await using DbCommand command = connection.CreateCommand();
            command.CommandText = db.Database.IsNpgsql()
                ? "SELECT count(*) FROM information_schema.tables WHERE table_name = 'tether_head'"
                : "SELECT count(*) FROM sqlite_master WHERE name = 'tether_head'";
            return Convert.ToInt64(await command.ExecuteScalarAsync(Ct)) > 0;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

public sealed class SqliteStartupSeedingTests : StartupSeedingTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlStartupSeedingTests : StartupSeedingTests
{
    protected override bool OnPostgres => true;
}
