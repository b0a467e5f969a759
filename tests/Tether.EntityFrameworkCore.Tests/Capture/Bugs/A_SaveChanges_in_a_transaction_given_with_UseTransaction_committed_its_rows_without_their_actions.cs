using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>A transaction the app began on the ADO.NET connection and handed to EF Core (<c>UseTransaction</c>) is
/// committed on that connection, where EF Core raises no event: the capture locked the head and never appended, so
/// the rows committed without their actions (and on SQLite without taking a turn). Such a SaveChanges is refused.</summary>
public abstract class A_SaveChanges_in_a_transaction_given_with_UseTransaction_committed_its_rows_without_their_actions
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Such_a_SaveChanges_of_synced_rows_is_refused_with_a_clear_message_and_nothing_reaches_the_log()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            DbConnection connection = db.Database.GetDbConnection();
            await connection.OpenAsync(Ct);
            await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
            await db.Database.UseTransactionAsync(transaction, Ct);
            db.Cards.Add(Card("c1", board));
            NotSupportedException refused = await Assert.ThrowsAsync<NotSupportedException>(() => db.SaveChangesAsync(Ct));
            Assert.Contains("UseTransaction", refused.Message, StringComparison.Ordinal);
            Assert.Contains("BeginTransaction", refused.Message, StringComparison.Ordinal);
            await transaction.CommitAsync(Ct);
        });

        Assert.Equal(head, await HeadAsync(server));
        Assert.Equal(0, await ServerDatabase.CountAsync(server, "cards"));
        // The writer goes on.
        using SyncApi alice = server.Api("alice");
        Assert.Equal(head + 1, await PushAsync(alice, "a1", 1, "createCard", new { id = "m1", boardId = board.Id.ToString(), teamId = "t1", title = "Pushed" }));
    }
}

public sealed class A_SaveChanges_in_a_transaction_given_with_UseTransaction_committed_its_rows_without_their_actions_on_SQLite
    : A_SaveChanges_in_a_transaction_given_with_UseTransaction_committed_its_rows_without_their_actions
{
    protected override bool OnPostgres => false;
}
