using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>An insert was noted only at the commit, so a later SaveChanges of the same transaction that changed or
/// deleted the row read it as if readers had it before: the insert was logged as an update, and a row inserted and
/// deleted again as a delete of a row nobody had seen.</summary>
public abstract class A_row_inserted_and_changed_again_in_one_transaction_was_logged_as_a_row_readers_had_before
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task It_is_one_insert_with_its_final_data_or_nothing_when_deleted_again()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("kept", board, "First"));
            db.Cards.Add(Card("gone", board, "Short-lived"));
            await db.SaveChangesAsync(Ct);
            (await db.Cards.SingleAsync(c => c.Id == "kept", Ct)).Title = "Final";
            db.Cards.Remove(await db.Cards.SingleAsync(c => c.Id == "gone", Ct));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 1);
        Assert.Equal([("insert", "card", "kept")], Actions(log.Skip((int)head)));
        Assert.Contains("\"title\":\"Final\"", log[^1].Data, StringComparison.Ordinal);
    }
}

public sealed class A_row_inserted_and_changed_again_in_one_transaction_was_logged_as_a_row_readers_had_before_on_SQLite
    : A_row_inserted_and_changed_again_in_one_transaction_was_logged_as_a_row_readers_had_before
{
    protected override bool OnPostgres => false;
}

public sealed class A_row_inserted_and_changed_again_in_one_transaction_was_logged_as_a_row_readers_had_before_on_PostgreSQL
    : A_row_inserted_and_changed_again_in_one_transaction_was_logged_as_a_row_readers_had_before
{
    protected override bool OnPostgres => true;
}
