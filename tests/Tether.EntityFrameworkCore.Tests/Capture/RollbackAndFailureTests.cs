using System.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>The app's transactions that roll back, fail or end oddly, and the writes that must not be captured:
/// nothing reaches the log that did not commit, and Tether's writer goes on.</summary>
public abstract class RollbackAndFailureTests
{
    protected abstract bool OnPostgres { get; }

    protected Task<TestServer> StartAsync() => TestServer.StartAsync(new TestServerSettings
    {
        OnPostgres = OnPostgres,
        Tether = options => options.Limits.RequestsPerSecond = 0,
    });

    [Fact]
    public async Task A_transaction_of_several_SaveChanges_that_the_app_rolls_back_leaves_nothing_and_the_head_unchanged()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            (await db.Cards.SingleAsync(c => c.Id == "c1", Ct)).Title = "Changed";
            db.Cards.Add(Card("c2", board));
            await db.SaveChangesAsync(Ct);
            db.Boards.Remove(await db.Boards.SingleAsync(b => b.Id == board.Id, Ct));
            db.Cards.RemoveRange(db.Cards);
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        });

        Assert.Equal(head, await HeadAsync(server));
        Assert.Equal([("insert", "board", board.Id.ToString())], Actions(await LogAsync(server)));
        Assert.Equal(0, await ServerDatabase.CountAsync(server, "cards"));
        using SyncApi alice = server.Api("alice");
        Assert.Equal(head + 1, await PushAsync(alice, "a1", 1, "createCard", new { id = "c3", boardId = board.Id.ToString(), teamId = "t1", title = "After" }));
    }

    [Fact]
    public async Task A_SaveChanges_the_database_refuses_leaves_nothing_and_a_mutation_pushed_right_after_commits()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c1", board));
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);
        using SyncApi alice = server.Api("alice");

        // A key that is taken, beside a row that alone would be fine.
        await Assert.ThrowsAsync<DbUpdateException>(() => WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c2", board));
            db.Cards.Add(Card("c1", board, "Again"));
            return db.SaveChangesAsync(Ct);
        }));
        Assert.Equal(head + 1, await PushAsync(alice, "a1", 1, "createCard", new { id = "m1", boardId = board.Id.ToString(), teamId = "t1", title = "Pushed" }));

        // The cards' check constraint (a title of 1 to 100 characters), on an update and an insert.
        await Assert.ThrowsAsync<DbUpdateException>(() => WithDbAsync(server, async db =>
        {
            (await db.Cards.SingleAsync(c => c.Id == "c1", Ct)).Title = "";
            db.Cards.Add(Card("c3", board));
            await db.SaveChangesAsync(Ct);
        }));
        Assert.Equal(head + 2, await PushAsync(alice, "a1", 2, "createCard", new { id = "m2", boardId = board.Id.ToString(), teamId = "t1", title = "Pushed" }));

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 2);
        Assert.Equal([("insert", "card", "m1"), ("insert", "card", "m2")], Actions(log.Skip((int)head)));
        Assert.Equal(["c1", "m1", "m2"], await WithDbAsync(server, db => db.Cards.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(Ct)));
        Assert.Equal("A card", await ServerDatabase.ScalarAsync(server, "SELECT \"Title\" FROM cards WHERE \"Id\" = 'c1'"));
    }

    [Fact]
    public async Task A_transaction_disposed_without_commit_or_rollback_releases_the_writer_and_a_push_then_commits()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);
        using SyncApi alice = server.Api("alice");

        await WithDbAsync(server, async db =>
        {
            IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            await transaction.DisposeAsync();

            // The context lives on, as a request that goes on after an abandoned transaction does.
            Assert.Equal(head + 1, await PushAsync(alice, "a1", 1, "createCard", new { id = "m1", boardId = board.Id.ToString(), teamId = "t1", title = "Pushed" }));
            db.Cards.Add(Card("c2", board));
            await db.SaveChangesAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 2);
        Assert.Equal([("insert", "card", "m1"), ("insert", "card", "c2")], Actions(log.Skip((int)head)));
        Assert.Equal(0, await ServerDatabase.CountAsync(server, "cards", "\"Id\" = 'c1'"));
    }

    [Fact]
    public async Task The_synchronous_SaveChanges_and_transaction_calls_append_as_the_asynchronous_ones_do()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c1", board));
            db.Cards.Add(Card("c2", board));
            db.SaveChanges();
            db.Cards.Single(c => c.Id == "c1").Points = 3;
            db.SaveChanges();
            using (IDbContextTransaction transaction = db.Database.BeginTransaction())
            {
                db.Cards.Remove(db.Cards.Single(c => c.Id == "c2"));
                db.SaveChanges();
                db.Cards.Add(Card("c3", board));
                db.SaveChanges();
                transaction.Commit();
            }
            using (IDbContextTransaction transaction = db.Database.BeginTransaction())
            {
                db.Cards.Add(Card("c4", board));
                db.SaveChanges();
                transaction.Rollback();
            }
            return Task.CompletedTask;
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 5);
        Assert.Equal(
            [("insert", "card", "c1"), ("insert", "card", "c2"), ("update", "card", "c1"), ("delete", "card", "c2"), ("insert", "card", "c3")],
            Actions(log.Skip((int)head)));
        Assert.Contains("\"points\":3", log[(int)head + 2].Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_SaveChanges_inside_a_transaction_the_app_then_commits_logs_exactly_what_committed()
    {
        await using TestServer server = await StartAsync();
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
            db.Cards.Add(Card("c1", board, "Kept"));
            await db.SaveChangesAsync(Ct);
            // An update, a new row and a taken key: the database refuses the last, and the whole SaveChanges with it.
            (await db.Cards.SingleAsync(c => c.Id == "c1", Ct)).Points = 8;
            db.Cards.Add(Card("c2", board, "Refused with the rest"));
            db.Cards.Add(Card("c0", board, "Taken key"));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(Ct));
            // The app gives up on those changes and carries on in the same transaction.
            db.ChangeTracker.Clear();
            (await db.Cards.SingleAsync(c => c.Id == "c1", Ct)).Title = "Kept, renamed";
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 1);
        LogEntry insert = log[^1];
        Assert.Equal(("insert", "card", "c1"), (insert.Action, insert.ModelName, insert.ModelId));
        Assert.Equal($$"""{"id":"c1","boardId":"{{board.Id}}","teamId":"t1","assignee":null,"title":"Kept, renamed","points":0}""", insert.Data);
        Assert.Equal(["c0", "c1"], await WithDbAsync(server, db => db.Cards.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(Ct)));
    }

    [Fact]
    public async Task What_mutators_write_through_Tethers_own_contexts_is_logged_once()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);
        using SyncApi alice = server.Api("alice");
        string boardId = board.Id.ToString();

        await alice.PushAsync("a1",
            SyncApi.M(1, "addMember", new { teamId = "t1", userId = "alice" }),
            SyncApi.M(2, "createCard", new { id = "m1", boardId, teamId = "t1", title = "One" }),
            SyncApi.M(3, "createCard", new { id = "m2", boardId, teamId = "t1", title = "Two" }));
        await PushAsync(alice, "a1", 4, "updateCard", new { id = "m1", patch = new { points = 2 } });
        await PushAsync(alice, "a1", 5, "deleteCard", new { id = "m2" });
        // An app write between them, whose context is the app's.
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c1", board));
            return db.SaveChangesAsync(Ct);
        });
        await PushAsync(alice, "a1", 6, "updateCard", new { id = "c1", patch = new { title = "Changed by a mutator" } });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 7);
        (string, string, string)[] actions = Actions(log.Skip((int)head));
        // The first push may commit as one transaction, whose rows PostgreSQL's sequencer logs in the order the
        // database changed them (EF Core's order within its SaveChanges).
        Assert.Equal([("insert", "card", "m1"), ("insert", "card", "m2"), ("insert", "member", "t1:alice")], actions[..3].Order());
        Assert.Equal(
            [("update", "card", "m1"), ("delete", "card", "m2"), ("insert", "card", "c1"), ("update", "card", "c1")],
            actions[3..]);
        Assert.Equal(["a1", "a1", "a1", "a1", "a1", null, "a1"], log.Skip((int)head).Select(e => e.ClientId));
    }
}

/// <summary>On SQLite the capture takes the writer's turn and appends: what a transaction blocks and what it refuses.
/// (On PostgreSQL the sequencer reads the app's writes from the write-ahead log: see PostgreSqlWalCaptureTests.)</summary>
public sealed class SqliteRollbackAndFailureTests : RollbackAndFailureTests
{
    protected override bool OnPostgres => false;

    [Fact]
    public async Task Several_SaveChanges_in_one_transaction_append_only_at_its_commit_in_commit_order_and_a_push_waits_behind_it()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c0", board, "Existing"));
            return db.SaveChangesAsync(Ct);
        });
        long head = await HeadAsync(server);
        using SyncApi alice = server.Api("alice");
        Task<long>? push = null;

        await WithDbAsync(server, async db =>
        {
            await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
            db.Cards.Add(Card("c1", board, "First"));
            await db.SaveChangesAsync(Ct);
            // Nothing is in the log before the commit, and a writer that comes now waits behind this transaction.
            Assert.Equal(head, await HeadAsync(server));
            push = PushAsync(alice, "a1", 1, "createCard", new { id = "m1", boardId = board.Id.ToString(), teamId = "t1", title = "Pushed" });
            (await db.Cards.SingleAsync(c => c.Id == "c0", Ct)).Assignee = "bob";
            db.Cards.Add(Card("c2", board, "Second"));
            await db.SaveChangesAsync(Ct);
            (await db.Cards.SingleAsync(c => c.Id == "c1", Ct)).Title = "First, changed";
            await db.SaveChangesAsync(Ct);
            Assert.Equal(head, await HeadAsync(server));
            await transaction.CommitAsync(Ct);
        });

        Assert.Equal(head + 4, await push!);
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 4);
        // The transaction's actions come together, each row's once, before the push that waited for it.
        LogEntry[] committed = [.. log.Skip((int)head).Take(3)];
        Assert.Equal([("insert", "card", "c1"), ("insert", "card", "c2"), ("update", "card", "c0")], Actions(committed).Order());
        Assert.Equal(("insert", "card", "m1"), Actions(log)[^1]);
        Assert.Contains("\"title\":\"First, changed\"", committed.Single(e => e.ModelId == "c1").Data, StringComparison.Ordinal);
        Assert.Equal(["team:t1", "user:bob"], committed.Single(e => e.ModelId == "c0").SyncGroups.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_SaveChanges_of_synced_rows_inside_a_TransactionScope_is_refused_with_a_clear_message()
    {
        await using TestServer server = await StartAsync();
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        NotSupportedException refused = await Assert.ThrowsAsync<NotSupportedException>(() => WithDbAsync(server, async db =>
        {
            using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            scope.Complete();
        }));

        Assert.Contains("TransactionScope", refused.Message, StringComparison.Ordinal);
        Assert.Contains("BeginTransaction", refused.Message, StringComparison.Ordinal);
        Assert.Equal(head, await HeadAsync(server));
        Assert.Equal(0, await ServerDatabase.CountAsync(server, "cards"));
    }
}

public sealed class PostgreSqlRollbackAndFailureTests : RollbackAndFailureTests
{
    protected override bool OnPostgres => true;
}
