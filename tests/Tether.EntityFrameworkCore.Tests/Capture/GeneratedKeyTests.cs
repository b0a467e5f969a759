using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>Rows whose key the database gives them as it writes them (an identity column).</summary>
public abstract class GeneratedKeyTests
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task A_row_whose_int_key_the_database_generates_gets_its_action_with_the_generated_id()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        var first = new Sticker { TeamId = "t1", Text = "First" };
        var second = new Sticker { TeamId = "t1", Text = "Second" };
        var third = new Sticker { TeamId = "t2", Text = "Third" };
        var fourth = new Sticker { TeamId = "t2", Text = "Fourth" };

        await WithDbAsync(server, async db =>
        {
            db.Stickers.AddRange(first, second);
            await db.SaveChangesAsync(Ct);
            // In the app's transaction, then changed again before it commits: still one insert, with its final text.
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Stickers.AddRange(third, fourth);
            await db.SaveChangesAsync(Ct);
            third.Text = "Third, edited";
            db.Stickers.Remove(fourth);
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        int[] ids = [first.Id, second.Id, third.Id];
        Assert.Equal(3, ids.Distinct().Count());
        Assert.DoesNotContain(0, ids);
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, 3);
        Assert.Equal([.. ids.Select(id => ("insert", "sticker", id.ToString(System.Globalization.CultureInfo.InvariantCulture)))], Actions(log));
        Assert.Equal($$"""{"id":"{{third.Id}}","teamId":"t2","text":"Third, edited"}""", log[2].Data);
        Assert.Equal(["team:t2"], log[2].SyncGroups);
        Assert.Equal(
            ids.Order(),
            await WithDbAsync(server, db => db.Stickers.OrderBy(n => n.Id).Select(n => n.Id).ToListAsync(Ct)));
    }
}

public sealed class SqliteGeneratedKeyTests : GeneratedKeyTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlGeneratedKeyTests : GeneratedKeyTests
{
    protected override bool OnPostgres => true;
}
