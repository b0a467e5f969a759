using System.Globalization;
using Tether.Mutators;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

/// <summary>
/// <see cref="ILocalStore.BeginBulkWriteAsync"/> on the SQLite store (a real file, reopened to see what is durable)
/// and on the in-memory store: one atomic write whose records arrive in chunks.
/// </summary>
public sealed class BulkWriteTests : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Memory = "memory";

    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    public static TheoryData<string, bool> KindsAndClears => new()
    {
        { Sqlite, true }, { Sqlite, false }, { Memory, true }, { Memory, false },
    };

    public static TheoryData<string> Kinds => [Sqlite, Memory];

    private static readonly LocalWrite Baseline = new()
    {
        Records = [new("issue", "old-1", """{"v":0}"""), new("issue", "old-2", """{"v":0}"""), new("team", "t", "{}")],
        AddPending = [new(1, "a", "{}"), new(2, "b", "{}")],
        Metadata = new LocalMetadata { ClientId = "c", UserId = "u", LastSyncId = 3, SyncGroups = ["g1"], NextMutationId = 3 },
    };

    private static readonly LocalMetadata Bootstrapped = new()
    {
        ClientId = "c", UserId = "u", SchemaVersion = 2, FirstSyncId = 50, LastSyncId = 50, SyncGroups = ["g1", "g2"], NextMutationId = 4,
    };

    [Theory]
    [MemberData(nameof(KindsAndClears))]
    public async Task A_committed_bulk_write_holds_exactly_its_rows_and_metadata(string kind, bool clearRecords)
    {
        var store = await OpenAsync(kind);
        await store.WriteAsync(Baseline, Ct);
        var chunks = Chunks(count: 2_500, chunkRows: 1_000, "v1");

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords, Ct))
        {
            foreach (var chunk in chunks)
            {
                await bulk.AddAsync(chunk, Ct);
            }

            await bulk.CommitAsync(new LocalWrite
            {
                Records = [new("issue", "old-2", null), new("team", "t2", "{}")],
                AddPending = [new(3, "c", "{}")],
                RemovePending = [1],
                Metadata = Bootstrapped,
            }, Ct);
        }

        var expected = new Dictionary<(string, string), string>();
        if (!clearRecords)
        {
            expected[("issue", "old-1")] = """{"v":0}""";
            expected[("team", "t")] = "{}";
        }

        foreach (var change in chunks.SelectMany(c => c))
        {
            expected[(change.ModelName, change.Id)] = change.Data!;
        }

        expected[("team", "t2")] = "{}";
        var snapshot = new LocalSnapshot(Bootstrapped, Stored(expected), [new(2, "b", "{}"), new(3, "c", "{}")]);
        Snapshots.AssertSame(snapshot, await store.LoadAsync(Ct));
        store = await ReopenAsync(kind, store);
        Snapshots.AssertSame(snapshot, await store.LoadAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(KindsAndClears))]
    public async Task A_bulk_write_disposed_uncommitted_leaves_the_store_as_it_was(string kind, bool clearRecords)
    {
        var store = await OpenAsync(kind);
        await store.WriteAsync(Baseline, Ct);
        var before = await store.LoadAsync(Ct);

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords, Ct))
        {
            foreach (var chunk in Chunks(count: 2_500, chunkRows: 1_000, "v1"))
            {
                await bulk.AddAsync(chunk, Ct);
            }
        }

        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        store = await ReopenAsync(kind, store);
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        // The store is free again: the next write goes through.
        await store.WriteAsync(new LocalWrite { Records = [new("issue", "next", "{}")] }, Ct);
        Assert.Equal(before.Records.Count + 1, (await store.LoadAsync(Ct)).Records.Count);
    }

    [Fact]
    public async Task A_crash_before_the_bulk_commit_leaves_the_file_as_it_was()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(Baseline, Ct);
        var before = await store.LoadAsync(Ct);
        var points = new List<string>();
        store.FaultPoint = point =>
        {
            points.Add(point);
            throw new IOException("simulated crash");
        };

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords: true, Ct))
        {
            foreach (var chunk in Chunks(count: 2_500, chunkRows: 1_000, "v1"))
            {
                await bulk.AddAsync(chunk, Ct);
            }

            var error = await Assert.ThrowsAsync<IOException>(
                async () => await bulk.CommitAsync(new LocalWrite { AddPending = [new(3, "c", "{}")], Metadata = Bootstrapped }, Ct));
            Assert.Equal("simulated crash", error.Message);
        }

        Assert.Equal(["before-commit"], points);
        store.FaultPoint = null;
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        store = await _harness.ReopenAsync(store);
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_cancelled_chunk_rolls_the_whole_bulk_write_back(string kind)
    {
        var store = await OpenAsync(kind);
        await store.WriteAsync(Baseline, Ct);
        var before = await store.LoadAsync(Ct);
        var chunks = Chunks(count: 3_000, chunkRows: 1_000, "v1");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords: true, Ct))
        {
            await bulk.AddAsync(chunks[0], Ct);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await bulk.AddAsync(chunks[1], cancelled.Token));

            // The chunk before the cancelled one went with it: nothing is left to commit.
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await bulk.AddAsync(chunks[2], Ct));
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await bulk.CommitAsync(new LocalWrite { Metadata = Bootstrapped }, Ct));
        }

        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        store = await ReopenAsync(kind, store);
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Deletes_and_later_changes_win_within_and_across_chunks(string kind)
    {
        var store = await OpenAsync(kind);
        await store.WriteAsync(new LocalWrite { Records = [.. Range(0, 300, "old")] }, Ct);

        // Runs longer than a batch statement, with the same record twice inside one run, across runs and across chunks.
        LocalRecordChange[] first =
        [
            .. Range(0, 100, "a"),
            .. Range(50, 150, "b"),
            .. Range(100, 250, null),
            .. Range(120, 130, "c"),
            new("issue", Id(5), V("d")), new("issue", Id(5), V("e")),
        ];
        LocalRecordChange[] second =
        [
            .. Range(10, 20, null),
            .. Range(140, 160, "f"),
            .. Range(280, 400, "g"),
            new("issue", Id(6), null), new("issue", Id(6), V("h")),
        ];

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords: false, Ct))
        {
            await bulk.AddAsync(first, Ct);
            await bulk.AddAsync(second, Ct);
            await bulk.CommitAsync(new LocalWrite { Records = [new("issue", Id(299), null), new("issue", Id(7), V("i"))], Metadata = Bootstrapped }, Ct);
        }

        var expected = new Dictionary<(string, string), string>();
        foreach (var change in Range(0, 300, "old").Concat(first).Concat(second).Append(new("issue", Id(299), null)).Append(new("issue", Id(7), V("i"))))
        {
            if (change.Data is null)
            {
                expected.Remove((change.ModelName, change.Id));
            }
            else
            {
                expected[(change.ModelName, change.Id)] = change.Data;
            }
        }

        var snapshot = new LocalSnapshot(Bootstrapped, Stored(expected), []);
        Snapshots.AssertSame(snapshot, await store.LoadAsync(Ct));
        store = await ReopenAsync(kind, store);
        var loaded = await store.LoadAsync(Ct);
        Snapshots.AssertSame(snapshot, loaded);
        // Spot checks of the rules, so the expectation above is not the only place they are spelled out.
        var byId = loaded.Records.ToDictionary(r => r.Id, r => r.Data);
        Assert.Equal("""{"v":"a"}""", byId[Id(0)]);
        Assert.DoesNotContain(Id(15), byId.Keys);
        Assert.Equal("""{"v":"e"}""", byId[Id(5)]);
        Assert.Equal("""{"v":"h"}""", byId[Id(6)]);
        Assert.Equal("""{"v":"i"}""", byId[Id(7)]);
        Assert.Equal("""{"v":"b"}""", byId[Id(60)]);
        Assert.Equal("""{"v":"c"}""", byId[Id(125)]);
        Assert.Equal("""{"v":"f"}""", byId[Id(150)]);
        Assert.DoesNotContain(Id(200), byId.Keys);
        Assert.Equal("""{"v":"old"}""", byId[Id(260)]);
        Assert.DoesNotContain(Id(299), byId.Keys);
        Assert.Equal("""{"v":"g"}""", byId[Id(399)]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_write_started_during_an_open_bulk_write_runs_after_its_commit(string kind)
    {
        var store = await OpenAsync(kind);
        await store.WriteAsync(Baseline, Ct);
        var later = Bootstrapped with { LastSyncId = 51 };
        Task write;

        await using (var bulk = await store.BeginBulkWriteAsync(clearRecords: true, Ct))
        {
            await bulk.AddAsync([new("issue", "x", """{"v":"bulk"}"""), new("issue", "y", """{"v":"bulk"}""")], Ct);
            write = store.WriteAsync(new LocalWrite { Records = [new("issue", "x", """{"v":"write"}""")], Metadata = later }, Ct).AsTask();

            Assert.False(write.IsCompleted);
            await bulk.AddAsync([new("issue", "x", """{"v":"bulk2"}""")], Ct);
            Assert.False(write.IsCompleted);
            await bulk.CommitAsync(new LocalWrite { Metadata = Bootstrapped }, Ct);
        }

        await write;
        var snapshot = await store.LoadAsync(Ct);
        Assert.Equal(51, snapshot.Metadata.LastSyncId);
        Assert.Equal(
            [new StoredRecord("issue", "x", """{"v":"write"}"""), new StoredRecord("issue", "y", """{"v":"bulk"}""")],
            Snapshots.Sorted(snapshot.Records));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(20260101)]
    public async Task Large_writes_with_repeats_and_deletes_give_the_same_snapshot_as_the_in_memory_store(int seed)
    {
        var random = new Random(seed);
        await using var reference = new InMemoryLocalStore();
        var store = await _harness.OpenAsync();

        for (var step = 0; step < 20; step++)
        {
            var changes = RandomRuns(random);
            if (step % 2 == 0)
            {
                var write = new LocalWrite { ClearRecords = step % 5 == 0, Records = changes, Metadata = Bootstrapped with { LastSyncId = step } };
                await reference.WriteAsync(write, Ct);
                await store.WriteAsync(write, Ct);
            }
            else
            {
                foreach (var target in new ILocalStore[] { reference, store })
                {
                    await using var bulk = await target.BeginBulkWriteAsync(clearRecords: false, Ct);
                    foreach (var chunk in changes.Chunk(random.Next(1, 500)))
                    {
                        await bulk.AddAsync(chunk, Ct);
                    }

                    await bulk.CommitAsync(new LocalWrite { Metadata = Bootstrapped with { LastSyncId = step } }, Ct);
                }
            }

            Snapshots.AssertSame(await reference.LoadAsync(Ct), await store.LoadAsync(Ct));
        }

        store = await _harness.ReopenAsync(store);
        var final = await store.LoadAsync(Ct);
        Snapshots.AssertSame(await reference.LoadAsync(Ct), final);
        Assert.NotEmpty(final.Records);
    }

    /// <summary>Runs of puts and of deletes, many longer than a batch statement, over a small key space so the same
    /// record recurs within a run.</summary>
    private static List<LocalRecordChange> RandomRuns(Random random)
    {
        var changes = new List<LocalRecordChange>();
        for (var run = random.Next(1, 8); run > 0; run--)
        {
            var delete = random.NextDouble() < 0.35;
            var length = random.NextDouble() < 0.5 ? random.Next(1, 64) : random.Next(64, 400);
            var model = random.NextDouble() < 0.8 ? "issue" : "comment";
            for (var i = 0; i < length; i++)
            {
                var id = Id(random.Next(600));
                changes.Add(new LocalRecordChange(model, id, delete ? null : $$"""{"v":{{random.Next(1000)}}}"""));
            }
        }

        return changes;
    }

    private async Task<ILocalStore> OpenAsync(string kind) =>
        kind == Sqlite ? await _harness.OpenAsync() : new InMemoryLocalStore();

    /// <summary>The SQLite store closed and opened again on its file; the in-memory store is its own durability.</summary>
    private async Task<ILocalStore> ReopenAsync(string kind, ILocalStore store) =>
        kind == Sqlite ? await _harness.ReopenAsync((SqliteLocalStore)store) : store;

    private static string Id(int i) => "i" + i.ToString("D4", CultureInfo.InvariantCulture);

    private static string V(string value) => $$"""{"v":"{{value}}"}""";

    private static IEnumerable<LocalRecordChange> Range(int from, int to, string? value) =>
        Enumerable.Range(from, to - from).Select(i => new LocalRecordChange("issue", Id(i), value is null ? null : V(value)));

    private static List<LocalRecordChange[]> Chunks(int count, int chunkRows, string value) =>
        [.. Enumerable.Range(0, count)
            .Select(i => new LocalRecordChange(i % 10 == 0 ? "comment" : "issue", Id(i), $$"""{"id":"{{Id(i)}}","v":"{{value}}"}"""))
            .Chunk(chunkRows)];

    private static List<StoredRecord> Stored(Dictionary<(string Model, string Id), string> records) =>
        [.. records.Select(r => new StoredRecord(r.Key.Model, r.Key.Id, r.Value))];
}
