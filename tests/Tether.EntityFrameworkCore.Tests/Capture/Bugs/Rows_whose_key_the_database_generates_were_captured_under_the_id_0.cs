using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>EF Core keeps a key the database generated off the entity object until its SaveChanges completes, and the
/// capture read inserts' ids from the object as the transaction committed: every such row was id 0, which names no
/// row, so none of them was logged.</summary>
public abstract class Rows_whose_key_the_database_generates_were_captured_under_the_id_0
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Each_is_logged_under_its_generated_id()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Sticker[] stickers = [new() { TeamId = "t1", Text = "One" }, new() { TeamId = "t1", Text = "Two" }];

        await WithDbAsync(server, db =>
        {
            db.Stickers.AddRange(stickers);
            return db.SaveChangesAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        Assert.Equal(
            [.. stickers.Select(n => ("insert", "sticker", n.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Order()],
            Actions(log).Order());
        Assert.DoesNotContain(stickers, n => n.Id == 0);
    }
}

public sealed class Rows_whose_key_the_database_generates_were_captured_under_the_id_0_on_SQLite
    : Rows_whose_key_the_database_generates_were_captured_under_the_id_0
{
    protected override bool OnPostgres => false;
}

public sealed class Rows_whose_key_the_database_generates_were_captured_under_the_id_0_on_PostgreSQL
    : Rows_whose_key_the_database_generates_were_captured_under_the_id_0
{
    protected override bool OnPostgres => true;
}
