using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>On a connection the app opened itself (<c>OpenConnection</c>), ending a transaction does not close the
/// connection, and closing it when the context is disposed raises no close event. A transaction that wrote no synced
/// row kept the writer's turn after its commit, and an abandoned one for ever: on SQLite every later push hung.</summary>
public abstract class A_transaction_on_a_connection_the_app_opened_itself_kept_the_writers_turn_after_it_ended
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task A_push_commits_after_such_a_transaction_commits_and_after_the_context_of_an_abandoned_one_is_disposed()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);
        using SyncApi alice = server.Api("alice");
        string boardId = board.Id.ToString();

        await WithDbAsync(server, async db =>
        {
            await db.Database.OpenConnectionAsync(Ct);
            await using (IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct))
            {
                Assert.Equal(1, await db.Boards.CountAsync(Ct));
                await transaction.CommitAsync(Ct);
            }
            Assert.Equal(head + 1, await PushAsync(alice, "a1", 1, "createCard", new { id = "m1", boardId, teamId = "t1", title = "Pushed" }));

            IDbContextTransaction abandoned = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            await abandoned.DisposeAsync();
        });
        Assert.Equal(head + 2, await PushAsync(alice, "a1", 2, "createCard", new { id = "m2", boardId, teamId = "t1", title = "Pushed" }));

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 2);
        Assert.Equal([("insert", "card", "m1"), ("insert", "card", "m2")], Actions(log.Skip((int)head)));
    }
}

public sealed class A_transaction_on_a_connection_the_app_opened_itself_kept_the_writers_turn_after_it_ended_on_SQLite
    : A_transaction_on_a_connection_the_app_opened_itself_kept_the_writers_turn_after_it_ended
{
    protected override bool OnPostgres => false;
}

public sealed class A_transaction_on_a_connection_the_app_opened_itself_kept_the_writers_turn_after_it_ended_on_PostgreSQL
    : A_transaction_on_a_connection_the_app_opened_itself_kept_the_writers_turn_after_it_ended
{
    protected override bool OnPostgres => true;
}
