using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>A snapshot is one committed state: exactly its head, never part of a batch.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task A_snapshot_does_not_see_a_commit_made_after_it_began()
    {
        ITetherStore store = await OpenAsync();
        await CommitInsertsAsync(store, "a");

        await using ITetherReadSnapshot before = await store.BeginReadAsync(Ct);
        await CommitAsync(store, head => new WriteBatch
        {
            Records = [Put("b", "team:1")],
            Actions = [Insert(head + 1, Put("b", "team:1"))],
            GroupChanges = [new GroupChange(head + 1, "u1")],
            Clients = [new ClientState("c1", "u1", 1)],
        });

        Assert.Equal(1, before.Head);
        Assert.Equal([1L], (await WholeLogAsync(before)).Select(e => e.SyncId));
        Assert.Null(await before.GetRecordAsync("issue", "b", Ct));
        Assert.Equal(["a"], (await before.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(["a"], (await ToListAsync(before.ReadRecords(["issue"], ["team:1"]))).Select(r => r.Id));
        Assert.Null(await before.GetClientAsync("c1", Ct));
        Assert.Empty(await before.ReadGroupChangesAsync(0, long.MaxValue, Ct));

        await using ITetherReadSnapshot after = await store.BeginReadAsync(Ct);
        Assert.Equal(2, after.Head);
        Assert.NotNull(await after.GetRecordAsync("issue", "b", Ct));
        Assert.Equal(new ClientState("c1", "u1", 1), await after.GetClientAsync("c1", Ct));
    }

    [Fact]
    public async Task Snapshots_taken_while_a_writer_commits_see_whole_batches_and_a_log_without_holes()
    {
        const int batches = 60, perBatch = 3;
        ITetherStore store = await OpenAsync();
        Task writer = Task.Run(async () =>
        {
            for (int batch = 0; batch < batches; batch++)
            {
                // Ids in commit order, so that the log's order is the records' order.
                RecordWrite[] records = [.. Enumerable.Range(1, perBatch).Select(i => Put($"{batch * perBatch + i:D6}", "team:1"))];
                await CommitAsync(store, head => Inserting(head, records));
            }
        }, Ct);

        int snapshots = 0;
        long lastHead = 0;
        while (!writer.IsCompleted || snapshots == 0)
        {
            await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
            IReadOnlyList<LogEntry> log = await WholeLogAsync(snapshot);
            List<StoredRecord> records = await ToListAsync(snapshot.ReadRecords(["issue"], ["team:1"]));
            Assert.Equal(0, snapshot.Head % perBatch);
            Assert.True(snapshot.Head >= lastHead, $"the head went back from {lastHead} to {snapshot.Head}");
            Assert.Equal(Enumerable.Range(1, (int)snapshot.Head).Select(i => (long)i), log.Select(e => e.SyncId));
            Assert.Equal(log.Select(e => e.ModelId), records.Select(r => r.Id));
            lastHead = snapshot.Head;
            snapshots++;
        }
        await writer;

        await using ITetherReadSnapshot last = await store.BeginReadAsync(Ct);
        Assert.Equal(batches * perBatch, last.Head);
    }

    [Fact]
    public async Task The_write_transaction_reads_the_committed_state()
    {
        ITetherStore store = await OpenAsync();
        long committed = await CommitAsync(store, head =>
        {
            WriteBatch inserts = Inserting(head, PutJson("i1", """{"id":"i1","title":"kept"}""", "team:1", "user:7"), Put("i2", "team:1"));
            return new WriteBatch
            {
                Records = inserts.Records,
                Actions = inserts.Actions,
                Clients = [new ClientState("c1", "u1", 3)],
                Rejections = [new StoredRejection("c1", 2, "invalid_args", "Too long.")],
            };
        });

        await using ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct);
        Assert.Equal((2L, 2L), (committed, transaction.Head));
        Tether.Mutators.Record? record = await transaction.GetRecordAsync("issue", "i1", Ct);
        Assert.NotNull(record);
        Assert.Equal("kept", (string?)record.Data["title"]);
        Assert.Equal(["team:1", "user:7"], record.SyncGroups);
        Assert.Null(await transaction.GetRecordAsync("issue", "missing", Ct));
        Assert.Equal(["i1", "i2"], (await transaction.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(new ClientState("c1", "u1", 3), await transaction.GetClientAsync("c1", Ct));
        Assert.Equal(new StoredRejection("c1", 2, "invalid_args", "Too long."), await transaction.GetRejectionAsync("c1", 2, Ct));
        Assert.Null(await transaction.GetRejectionAsync("c1", 3, Ct));
    }

    [Fact]
    public async Task A_second_store_initialized_on_the_same_database_finds_everything_committed()
    {
        ITetherStore first = await OpenAsync();
        await CommitAsync(first, head => new WriteBatch
        {
            Records = [PutJson("i1", """{"id":"i1","title":"kept"}""", "team:1")],
            Actions = [Insert(head + 1, PutJson("i1", """{"id":"i1","title":"kept"}""", "team:1"))],
            GroupChanges = [new GroupChange(head + 1, "u1")],
            Clients = [new ClientState("c1", "u1", 7)],
            Rejections = [new StoredRejection("c1", 6, "invalid_args", "No.")],
        });
        await first.DisposeAsync();

        ITetherStore again = await OpenAsync();

        await using (ITetherReadSnapshot snapshot = await again.BeginReadAsync(Ct))
        {
            Assert.Equal(1, snapshot.Head);
            Assert.Equal("kept", (string?)(await snapshot.GetRecordAsync("issue", "i1", Ct))?.Data["title"]);
            Assert.Equal(["team:1"], (await WholeLogAsync(snapshot)).Single().SyncGroups);
            Assert.Equal([new GroupChange(1, "u1")], await snapshot.ReadGroupChangesAsync(0, 1, Ct));
            Assert.Equal(7, (await snapshot.GetClientAsync("c1", Ct))?.LastMutationId);
        }
        await using ITetherWriteTransaction transaction = await again.BeginWriteAsync(Ct);
        Assert.NotNull(await transaction.GetRejectionAsync("c1", 6, Ct));
        Assert.Equal(1, transaction.Head);
    }

    [Fact]
    public async Task A_database_whose_schema_is_newer_than_the_store_knows_is_refused_at_initialization()
    {
        ITetherStore first = await OpenAsync();
        await CommitInsertsAsync(first, "a");
        await first.DisposeAsync();
        await MakeSchemaNewerAsync();

        ITetherStore newer = Track(CreateStore());

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(Ct));
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }
}
