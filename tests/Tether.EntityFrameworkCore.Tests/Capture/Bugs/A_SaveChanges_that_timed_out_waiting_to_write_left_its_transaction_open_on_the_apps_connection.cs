using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>The capture locks the head as EF Core's own transaction starts. When that failed (on PostgreSQL, the lock
/// timeout while another transaction held the head), EF Core had not taken the transaction yet and nobody ended it: on
/// a connection the app keeps open, every later SaveChanges of the context failed ("a transaction is already in
/// progress").</summary>
public abstract class A_SaveChanges_that_timed_out_waiting_to_write_left_its_transaction_open_on_the_apps_connection
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task The_same_context_saves_again_once_the_writer_is_free()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Configuration = new Dictionary<string, string?> { ["writerWaitMs"] = "300" },
        });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await using AsyncServiceScope holderScope = server.Services.CreateAsyncScope();
        BoardDb holder = holderScope.ServiceProvider.GetRequiredService<BoardDb>();
        await using AsyncServiceScope waiterScope = server.Services.CreateAsyncScope();
        BoardDb waiter = waiterScope.ServiceProvider.GetRequiredService<BoardDb>();
        await waiter.Database.OpenConnectionAsync(Ct);

        IDbContextTransaction holding = await holder.Database.BeginTransactionAsync(Ct);
        holder.Cards.Add(Card("c1", board));
        await holder.SaveChangesAsync(Ct);
        waiter.Cards.Add(Card("c2", board));
        // SQLite: the turn is not given within the wait; PostgreSQL: the head lock is not.
        Exception timedOut = await Assert.ThrowsAnyAsync<Exception>(() => waiter.SaveChangesAsync(Ct));
        Assert.True(timedOut is TimeoutException || timedOut.GetBaseException() is Npgsql.PostgresException { SqlState: "55P03" }, timedOut.ToString());
        await holding.CommitAsync(Ct);
        await holding.DisposeAsync();

        await waiter.SaveChangesAsync(Ct);

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 2);
        Assert.Equal([("insert", "card", "c1"), ("insert", "card", "c2")], Actions(log.Skip((int)head)));
    }
}

public sealed class A_SaveChanges_that_timed_out_waiting_to_write_left_its_transaction_open_on_the_apps_connection_on_SQLite
    : A_SaveChanges_that_timed_out_waiting_to_write_left_its_transaction_open_on_the_apps_connection
{
    protected override bool OnPostgres => false;
}
