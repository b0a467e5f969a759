using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Transactions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>On PostgreSQL the sequencer reads the app's synced tables from the write-ahead log: every writer reaches
/// live clients, with the groups its rows' columns give, whether or not EF Core sees the write.</summary>
public sealed class PostgreSqlWalCaptureTests
{
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Inserts_updates_and_deletes_made_with_psql_on_the_card_table_reach_the_live_readers_of_the_cards_groups_only()
    {
        string psql = Psql.Find();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        Board teamOne = await BoardAsync(server, "t1");
        Board teamTwo = await BoardAsync(server, "t2");
        await WithDbAsync(server, db =>
        {
            db.Members.AddRange(new Member { Id = "t1:bob", TeamId = "t1", UserId = "bob" }, new Member { Id = "t2:carol", TeamId = "t2", UserId = "carol" });
            return db.SaveChangesAsync(Ct);
        });
        await using LiveClient bob = await LiveClient.ConnectAsync(server, "bob", "b1");
        await using LiveClient carol = await LiveClient.ConnectAsync(server, "carol", "c1");
        long bobFrom = (await bob.ExpectAsync("handshake")).LastSyncId();
        long carolFrom = (await carol.ExpectAsync("handshake")).LastSyncId();

        await Psql.RunAsync(psql, server.PostgresConnection!,
            $"""INSERT INTO cards ("Id", "BoardId", "TeamId", "Assignee", "Title", "Points", "InternalNotes") VALUES ('p1', '{teamOne.Id}', 't1', NULL, 'By psql', 1, 'never synced')""");
        await Psql.RunAsync(psql, server.PostgresConnection!, """UPDATE cards SET "Title" = 'Renamed by psql', "Points" = 2 WHERE "Id" = 'p1'""");
        await Psql.RunAsync(psql, server.PostgresConnection!, $"""UPDATE cards SET "TeamId" = 't2', "BoardId" = '{teamTwo.Id}' WHERE "Id" = 'p1'""");
        long moved = await HeadAsync(server);
        await Psql.RunAsync(psql, server.PostgresConnection!, """DELETE FROM cards WHERE "Id" = 'p1'""");
        long deleted = await HeadAsync(server);

        List<JsonElement> bobFrames = await bob.ReadUntilAsync(moved).WaitAsync(FrameTimeout, Ct);
        List<JsonElement> carolFrames = await carol.ReadUntilAsync(deleted).WaitAsync(FrameTimeout, Ct);
        Frames.AssertChained(bobFrom, bobFrames);
        Frames.AssertChained(carolFrom, carolFrames);
        // Their membership rows may reach them live too (the handshake can come before the sequencer logged them).
        JsonElement[] bobSaw = [.. Frames.ActionsOf(bobFrames).Where(a => a.ModelName() == "card")];
        JsonElement[] carolSaw = [.. Frames.ActionsOf(carolFrames).Where(a => a.ModelName() == "card")];
        Assert.Equal([("insert", "p1"), ("update", "p1"), ("delete", "p1")], bobSaw.Select(a => (a.GetProperty("action").GetString(), a.ModelId())));
        Assert.Equal(
            $$"""{"id":"p1","boardId":"{{teamOne.Id}}","teamId":"t1","assignee":null,"title":"By psql","points":1}""",
            bobSaw[0].GetProperty("data").GetRawText());
        Assert.Equal(
            $$"""{"id":"p1","boardId":"{{teamOne.Id}}","teamId":"t1","assignee":null,"title":"Renamed by psql","points":2}""",
            bobSaw[1].GetProperty("data").GetRawText());
        // Carol's team got the card only once it moved there; nothing of its life in team t1 reached her.
        Assert.Equal([("update", "p1"), ("delete", "p1")], carolSaw.Select(a => (a.GetProperty("action").GetString(), a.ModelId())));
        Assert.Equal(
            $$"""{"id":"p1","boardId":"{{teamTwo.Id}}","teamId":"t2","assignee":null,"title":"Renamed by psql","points":2}""",
            carolSaw[0].GetProperty("data").GetRawText());
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        Assert.Equal(["team:t1"], log.Single(e => e.ModelId == "p1" && e.Action == "insert").SyncGroups);
        Assert.Equal(["team:t2"], log.Single(e => e.ModelId == "p1" && e.SyncId == deleted).SyncGroups);
    }

    [Fact]
    public async Task A_SaveChanges_in_a_transaction_given_with_UseTransaction_reaches_the_log_once_committed_on_the_connection()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            DbConnection connection = db.Database.GetDbConnection();
            await connection.OpenAsync(Ct);
            await using DbTransaction transaction = await connection.BeginTransactionAsync(Ct);
            await db.Database.UseTransactionAsync(transaction, Ct);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            await transaction.CommitAsync(Ct);
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 1);
        Assert.Equal(("insert", "card", "c1"), Actions(log)[^1]);
        Assert.Equal(["team:t1"], log[^1].SyncGroups);
    }

    [Fact]
    public async Task A_SaveChanges_inside_a_TransactionScope_reaches_the_log_and_one_rolled_back_does_not()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        Board board = await BoardAsync(server, "t1");
        long head = await HeadAsync(server);

        await WithDbAsync(server, async db =>
        {
            using (var abandoned = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
            {
                db.Cards.Add(Card("gone", board));
                await db.SaveChangesAsync(Ct);
            }
            db.ChangeTracker.Clear();
            using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
            db.Cards.Add(Card("c1", board));
            await db.SaveChangesAsync(Ct);
            scope.Complete();
        });

        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, head + 1);
        Assert.Equal(("insert", "card", "c1"), Actions(log)[^1]);
        Assert.Equal(["c1"], await WithDbAsync(server, db => db.Cards.Select(c => c.Id).ToListAsync(Ct)));
    }

    /// <summary>The real <c>psql</c> binary, as an operator would run it.</summary>
    private static class Psql
    {
        /// <summary>psql on the PATH, else the newest PostgreSQL's under /usr/lib/postgresql; the test is skipped
        /// without it, or fails when <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes there by skipping.</summary>
        public static string Find()
        {
            IEnumerable<string> onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, "psql"));
            IEnumerable<string> installed = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending(StringComparer.Ordinal).Select(directory => Path.Combine(directory, "bin", "psql"))
                : [];
            if (onPath.Concat(installed).FirstOrDefault(File.Exists) is { } psql)
            {
                return psql;
            }
            const string message = "No psql binary on the PATH nor under /usr/lib/postgresql/*/bin.";
            if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
            {
                Assert.Fail(message + " TETHER_REQUIRE_ALL=1, so the psql test may not be skipped.");
            }
            Assert.Skip(message + " Skipping the psql test.");
            return "";
        }

        /// <summary>Runs one SQL command in psql's own session (autocommit), failing the test if psql fails.</summary>
        public static async Task RunAsync(string psql, string connectionString, string sql)
        {
            var connection = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo(psql)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in (string[])["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", connection.Host!, "-p", connection.Port.ToString(CultureInfo.InvariantCulture),
                         "-U", connection.Username!, "-d", connection.Database!, "-c", sql])
            {
                start.ArgumentList.Add(argument);
            }
            if (connection.Password is { } password)
            {
                start.Environment["PGPASSWORD"] = password;
            }
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync(Ct);
            Task<string> errors = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            Assert.True(process.ExitCode == 0, $"psql failed ({process.ExitCode}): {await errors}{await output}");
        }
    }
}
