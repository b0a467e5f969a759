using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>Many requests of the app saving at the same moment, each with its own scope and context.</summary>
public abstract class ManyRequestsTests
{
    private const int Requests = 64;

    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Sixty_four_concurrent_request_scoped_SaveChanges_all_succeed_and_each_row_gets_one_action_without_a_gap()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });
        Board board = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            for (int i = 0; i < Requests; i++)
            {
                db.Cards.Add(Card($"u{i:00}", board, "Before"));
            }
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);

        // Half insert a row, half update one: every request waits for the others at once, none is let in first.
        using var start = new SemaphoreSlim(0);
        Task[] requests = [.. Enumerable.Range(0, Requests).Select(i => Task.Run(async () =>
        {
            await start.WaitAsync(Ct);
            await WithDbAsync(server, async db =>
            {
                if (i % 2 == 0)
                {
                    db.Cards.Add(Card($"n{i:00}", board, $"New {i}"));
                }
                else
                {
                    Card card = await db.Cards.FindAsync([$"u{i:00}"], Ct) ?? throw new InvalidOperationException("the card is gone");
                    card.Title = $"Updated {i}";
                }
                await db.SaveChangesAsync(Ct);
            });
        }, Ct))];
        start.Release(Requests);
        // Any SQLITE_BUSY, lock timeout or turn timeout surfaces here as the request's exception.
        await Task.WhenAll(requests);

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + Requests);
        (string Action, string Model, string Id)[] expected = [.. Enumerable.Range(0, Requests)
            .Select(i => i % 2 == 0 ? ("insert", "card", $"n{i:00}") : ("update", "card", $"u{i:00}"))
            .Order()];
        Assert.Equal(expected, Actions(log.Skip((int)head)).Order());
        Assert.All(log.Skip((int)head), e => Assert.Contains(e.Action == "insert" ? "\"title\":\"New " : "\"title\":\"Updated ", e.Data, StringComparison.Ordinal));
    }
}

public sealed class SqliteManyRequestsTests : ManyRequestsTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlManyRequestsTests : ManyRequestsTests
{
    protected override bool OnPostgres => true;
}
