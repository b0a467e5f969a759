using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>The app's own SaveChanges, outside Tether's mutators, on a real server: what reaches the log.</summary>
public abstract class SaveChangesCaptureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract bool OnPostgres { get; }

    private Task<TestServer> StartAsync() => TestServer.StartAsync(new TestServerSettings { OnPostgres = OnPostgres });

    [Fact]
    public async Task Inserts_updates_moves_and_deletes_made_by_SaveChanges_append_their_sync_actions()
    {
        await using TestServer server = await StartAsync();
        var board = new Board { Id = Guid.NewGuid(), TeamId = "t1", Name = "Board" };
        await WithDbAsync(server, async db =>
        {
            db.Boards.Add(board);
            db.Cards.Add(new Card { Id = "c1", BoardId = board.Id, TeamId = "t1", Assignee = "bob", Title = "First" });
            await db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, async db =>
        {
            Card card = await db.Cards.SingleAsync(c => c.Id == "c1", Ct);
            card.Assignee = "carol";
            await db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, async db =>
        {
            // A disconnected update: EF knows nothing of the row's former state.
            db.Update(new Card { Id = "c1", BoardId = board.Id, TeamId = "t2", Assignee = "carol", Title = "Moved" });
            await db.SaveChangesAsync(Ct);
        });
        await WithDbAsync(server, async db =>
        {
            db.Remove(new Card { Id = "c1" });
            await db.SaveChangesAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        Assert.Equal(
            [
                (1L, "insert", "board", board.Id.ToString(), "team:t1"),
                (2L, "insert", "card", "c1", "team:t1 user:bob"),
                (3L, "delete", "card", "c1", "user:bob"),
                (4L, "update", "card", "c1", "team:t1 user:carol"),
                (5L, "delete", "card", "c1", "team:t1"),
                (6L, "update", "card", "c1", "team:t2 user:carol"),
                (7L, "delete", "card", "c1", "team:t2 user:carol"),
            ],
            log.Select(e => (e.SyncId, e.Action, e.ModelName, e.ModelId, string.Join(' ', e.SyncGroups.Order(StringComparer.Ordinal)))));
        Assert.Equal(
            $$"""{"id":"c1","boardId":"{{board.Id}}","teamId":"t2","assignee":"carol","title":"Moved","points":0}""",
            log[5].Data);
        Assert.All(log, e => Assert.Null(e.ClientId));
    }

    [Fact]
    public async Task A_transaction_the_app_rolls_back_leaves_no_action_and_the_next_commit_continues_the_head()
    {
        await using TestServer server = await StartAsync();
        await WithDbAsync(server, async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Boards.Add(new Board { Id = Guid.NewGuid(), TeamId = "t1", Name = "Gone" });
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        });
        await WithDbAsync(server, async db =>
        {
            db.Boards.Add(new Board { Id = Guid.NewGuid(), TeamId = "t1", Name = "Kept" });
            await db.SaveChangesAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        Assert.Equal([1L], log.Select(e => e.SyncId));
        Assert.Contains("Kept", log[0].Data, StringComparison.Ordinal);
    }

    private static async Task WithDbAsync(TestServer server, Func<BoardDb, Task> work)
    {
        await using AsyncServiceScope scope = server.Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<BoardDb>());
    }

    private static async Task<IReadOnlyList<LogEntry>> LogAsync(TestServer server)
    {
        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        return await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
    }
}

public sealed class SqliteSaveChangesCaptureTests : SaveChangesCaptureTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlSaveChangesCaptureTests : SaveChangesCaptureTests
{
    protected override bool OnPostgres => true;
}
