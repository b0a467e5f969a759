using Npgsql;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A PostgreSQL write transaction holds its writes and savepoints back and sends them with its next read or its
/// commit. Whether a savepoint was already sent or not, the transaction must behave as if every statement had gone
/// out at once.
/// </summary>
public sealed class PendingWritesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Savepoints_rolled_back_or_released_before_or_after_their_writes_were_sent_keep_exactly_the_released_writes()
    {
        await using TestServer server = await TestServer.StartAsync();
        long start;
        await using (ITetherWriteTransaction tx = await server.Store.BeginWriteAsync(Ct))
        {
            start = tx.Head;
            // Never sent: the rollback drops the savepoint and its writes.
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "dropped-unsent");
            await tx.RollbackToSavepointAsync(Ct);

            // Sent by a read, then rolled back on the server.
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "dropped-sent");
            Assert.NotNull(await tx.GetRecordAsync("issue", "dropped-sent", Ct));
            await tx.RollbackToSavepointAsync(Ct);
            Assert.Null(await tx.GetRecordAsync("issue", "dropped-sent", Ct));

            // Released before being sent, and released after.
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "kept-unsent");
            await tx.ReleaseSavepointAsync(Ct);
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "kept-sent");
            Assert.NotNull(await tx.GetRecordAsync("issue", "kept-sent", Ct));
            await tx.ReleaseSavepointAsync(Ct);

            // Nested, the outer savepoint sent and the inner one not: releasing the inner one keeps its write in the
            // outer one, and rolling the outer one back undoes both.
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "outer");
            Assert.NotNull(await tx.GetRecordAsync("issue", "outer", Ct));
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "inner");
            await tx.ReleaseSavepointAsync(Ct);
            await tx.RollbackToSavepointAsync(Ct);

            // Nested, both sent: the same.
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "outer-2");
            await tx.SavepointAsync(Ct);
            await WriteIssueAsync(tx, "inner-2");
            Assert.NotNull(await tx.GetRecordAsync("issue", "inner-2", Ct));
            await tx.ReleaseSavepointAsync(Ct);
            await tx.RollbackToSavepointAsync(Ct);

            Assert.Equal(start + 2, tx.Head);
            await tx.CommitAsync(Ct);
        }

        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        Assert.Equal(start + 2, snapshot.Head);
        IReadOnlyList<LogEntry> log = await snapshot.ReadLogAsync(start, long.MaxValue, 100, Ct);
        Assert.Equal([(start + 1, "kept-unsent"), (start + 2, "kept-sent")], log.Select(e => (e.SyncId, e.ModelId)));
        foreach (string id in new[] { "dropped-unsent", "dropped-sent", "outer", "inner", "outer-2", "inner-2" })
        {
            Assert.Null(await snapshot.GetRecordAsync("issue", id, Ct));
        }
        Assert.NotNull(await snapshot.GetRecordAsync("issue", "kept-unsent", Ct));
    }

    [Fact]
    public async Task A_write_the_database_refuses_fails_the_commit_that_sends_it_and_nothing_of_the_transaction_remains()
    {
        await using TestServer server = await TestServer.StartAsync();
        long start;
        await using (ITetherWriteTransaction tx = await server.Store.BeginWriteAsync(Ct))
        {
            start = tx.Head;
            await WriteIssueAsync(tx, "fine");
            // PostgreSQL text cannot hold a NUL character; the write is only queued, so the commit reports it.
            await tx.PutRecordAsync("issue", "refused", "{\"title\":\"nul \0 here\"}", ["team:t1"], Ct);
            await Assert.ThrowsAsync<PostgresException>(async () => await tx.CommitAsync(Ct));
        }

        await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
        Assert.Equal(start, snapshot.Head);
        Assert.Null(await snapshot.GetRecordAsync("issue", "fine", Ct));
    }

    private static async Task WriteIssueAsync(ITetherWriteTransaction tx, string id)
    {
        string data = $$"""{"id":"{{id}}"}""";
        await tx.PutRecordAsync("issue", id, data, ["team:t1"], Ct);
        await tx.AppendActionAsync(new NewSyncAction("insert", "issue", id, data, ["team:t1"], "test", 0), Ct);
    }
}
