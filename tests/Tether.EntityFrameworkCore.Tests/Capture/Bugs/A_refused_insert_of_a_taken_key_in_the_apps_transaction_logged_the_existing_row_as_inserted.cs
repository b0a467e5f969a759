using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>An insert was taken to be of a row that did not exist before. When the database refused it (the key was
/// taken) inside the app's transaction, which then went on and committed, the row that had the key all along was
/// logged as inserted again. Without EF Core's savepoints the rows the refused SaveChanges wrote before the refusal
/// stay in the transaction (on SQLite), so which of its inserts committed is known only from the rows.</summary>
public abstract class A_refused_insert_of_a_taken_key_in_the_apps_transaction_logged_the_existing_row_as_inserted
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Only_what_the_transaction_changed_is_logged()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c0", board, "Existing"));
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c0", board, "Taken key"));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));
            db.ChangeTracker.Clear();
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 1);
        Assert.Equal([("insert", "card", "c1")], Actions(log.Skip((int)head)));
        Assert.Equal("Existing", await ServerDatabase.ScalarAsync(server, "SELECT \"Title\" FROM cards WHERE \"Id\" = 'c0'"));
    }

    [Fact]
    public async Task Without_savepoints_what_committed_is_logged_and_nothing_else()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c0", board, "Existing"));
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            db.Database.AutoSavepointsEnabled = false;
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            // One batch: the new row's insert runs first, then the taken key's is refused.
            db.Cards.Add(Card("a1", board, "Written before the refusal"));
            db.Cards.Add(Card("c0", board, "Taken key"));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));
            db.ChangeTracker.Clear();
            try
            {
                await transaction.CommitAsync(Ct);
            }
            catch (DbException)
            {
                // PostgreSQL aborted the transaction at the refusal: it commits nothing.
            }
        });

        string[] committed = [.. await WithDbAsync(server, db => db.Cards.Where(c => c.Id != "c0").Select(c => c.Id).ToListAsync(Ct))];
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + committed.Length);
        Assert.Equal([.. committed.Select(id => ("insert", "card", id))], Actions(log.Skip((int)head)));
        Assert.Equal(OnPostgres ? [] : ["a1"], committed);
    }
}

public sealed class A_refused_insert_of_a_taken_key_in_the_apps_transaction_logged_the_existing_row_as_inserted_on_SQLite
    : A_refused_insert_of_a_taken_key_in_the_apps_transaction_logged_the_existing_row_as_inserted
{
    protected override bool OnPostgres => false;
}

public sealed class A_refused_insert_of_a_taken_key_in_the_apps_transaction_logged_the_existing_row_as_inserted_on_PostgreSQL
    : A_refused_insert_of_a_taken_key_in_the_apps_transaction_logged_the_existing_row_as_inserted
{
    protected override bool OnPostgres => true;
}
