using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>Deleting a board deletes its cards in the database (ON DELETE CASCADE), without EF Core tracking them.
/// The capture saw only the board: the cards were gone from the table but never deleted for their readers.</summary>
public abstract class Rows_the_database_deleted_by_a_cascade_kept_reaching_readers
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task The_cascaded_rows_get_their_delete_actions_in_the_same_transaction()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board doomed = await BoardAsync(server, "t1");
        Board other = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            db.Cards.AddRange(Card("c1", doomed, assignee: "bob"), Card("c2", doomed), Card("c3", other));
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            // One of its cards is tracked (EF Core deletes it itself), the other only the database knows.
            _ = await db.Cards.SingleAsync(c => c.Id == "c2", Ct);
            db.Boards.Remove(await db.Boards.SingleAsync(b => b.Id == doomed.Id, Ct));
            await db.SaveChangesAsync(Ct);
        });

        Assert.Equal(["c3"], await WithDbAsync(server, db => db.Cards.Select(c => c.Id).ToListAsync(Ct)));
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 3);
        Assert.Equal(
            [("delete", "board", doomed.Id.ToString()), ("delete", "card", "c1"), ("delete", "card", "c2")],
            Actions(log.Skip((int)head)).Order());
        Assert.Equal(["team:t1", "user:bob"], log.Single(e => e.ModelId == "c1" && e.SyncId > head).SyncGroups.Order(StringComparer.Ordinal));
    }
}

public sealed class Rows_the_database_deleted_by_a_cascade_kept_reaching_readers_on_SQLite
    : Rows_the_database_deleted_by_a_cascade_kept_reaching_readers
{
    protected override bool OnPostgres => false;
}

public sealed class Rows_the_database_deleted_by_a_cascade_kept_reaching_readers_on_PostgreSQL
    : Rows_the_database_deleted_by_a_cascade_kept_reaching_readers
{
    protected override bool OnPostgres => true;
}
