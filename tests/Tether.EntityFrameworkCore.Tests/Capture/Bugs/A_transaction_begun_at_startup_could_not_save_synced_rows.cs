using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>Before Tether started, a transaction of the app (its own, or the one EF Core's seeding runs in) that
/// saved synced rows made Tether create its tables on another connection while the transaction held the database:
/// on SQLite that waited for the app's write lock and failed ("database is locked").</summary>
public abstract class A_transaction_begun_at_startup_could_not_save_synced_rows
{
    private static readonly Guid BoardId = StartupSeedingTests.BoardId;

    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Rows_the_app_seeds_in_its_own_transaction_before_Tether_starts_are_captured()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Builder = tether => tether.Services.AddSingleton(new AppStartup(async services =>
            {
                BoardDb db = services.GetRequiredService<BoardDb>();
                await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
                Seed(db);
                await db.SaveChangesAsync(Ct);
                db.Cards.Add(new Card { Id = "c2", BoardId = BoardId, TeamId = "t1", Title = "Seeded later" });
                await db.SaveChangesAsync(Ct);
                await transaction.CommitAsync(Ct);
            })),
        });

        await AssertSeededAsync(server);
    }

    [Fact]
    public async Task Rows_EF_Cores_seeding_writes_in_its_transaction_as_the_app_creates_its_tables_are_captured()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Builder = tether => tether.Services.ConfigureDbContext<BoardDb>((_, options) => options.UseSeeding((context, _) =>
            {
                var db = (BoardDb)context;
                Seed(db);
                db.SaveChanges();
                db.Cards.Add(new Card { Id = "c2", BoardId = BoardId, TeamId = "t1", Title = "Seeded later" });
                db.SaveChanges();
            })),
        });

        await AssertSeededAsync(server);
    }

    private static void Seed(BoardDb db)
    {
        db.Boards.Add(new Board { Id = BoardId, TeamId = "t1", Name = "Seeded" });
        db.Cards.Add(new Card { Id = "c1", BoardId = BoardId, TeamId = "t1", Title = "Seeded card" });
    }

    private async Task AssertSeededAsync(TestServer server)
    {
        if (!OnPostgres)
        {
            IReadOnlyList<LogEntry> log = await LogAsync(server);
            AssertGapFree(log, 3);
            Assert.Equal([("insert", "board", BoardId.ToString()), ("insert", "card", "c1"), ("insert", "card", "c2")], Actions(log).Order());
        }
        await StartupSeedingTests.AssertServedAsync(server, OnPostgres);
    }
}

public sealed class A_transaction_begun_at_startup_could_not_save_synced_rows_on_SQLite : A_transaction_begun_at_startup_could_not_save_synced_rows
{
    protected override bool OnPostgres => false;
}

public sealed class A_transaction_begun_at_startup_could_not_save_synced_rows_on_PostgreSQL : A_transaction_begun_at_startup_could_not_save_synced_rows
{
    protected override bool OnPostgres => true;
}
