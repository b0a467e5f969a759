using System.Data.Common;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>EF Core reports a failed savepoint statement as a failed transaction, though the transaction goes on. The
/// capture took it for the transaction's end and forgot what it had written: those rows committed without actions.</summary>
public abstract class A_failed_savepoint_statement_ended_the_capture_of_a_transaction_that_went_on
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task The_rows_written_before_it_still_get_their_actions_at_the_commit()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            await transaction.CreateSavepointAsync("kept", Ct);
            await Assert.ThrowsAnyAsync<DbException>(() => transaction.RollbackToSavepointAsync("missing", Ct));
            // On PostgreSQL the failed statement aborted the transaction: going back to a savepoint resumes it.
            await transaction.RollbackToSavepointAsync("kept", Ct);
            db.Cards.Add(Card("c2", board));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 2);
        Assert.Equal([("insert", "card", "c1"), ("insert", "card", "c2")], Actions(log.Skip((int)head)));
    }
}

public sealed class A_failed_savepoint_statement_ended_the_capture_of_a_transaction_that_went_on_on_SQLite
    : A_failed_savepoint_statement_ended_the_capture_of_a_transaction_that_went_on
{
    protected override bool OnPostgres => false;
}

public sealed class A_failed_savepoint_statement_ended_the_capture_of_a_transaction_that_went_on_on_PostgreSQL
    : A_failed_savepoint_statement_ended_the_capture_of_a_transaction_that_went_on
{
    protected override bool OnPostgres => true;
}
