using Tether.Mutators;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

public sealed class AtomicityTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private static readonly LocalWrite Baseline = new()
    {
        Records = [new("issue", "1", """{"v":1}"""), new("issue", "2", """{"v":1}""")],
        AddPending = [new(1, "a", "{}")],
        Metadata = new LocalMetadata { ClientId = "c", LastSyncId = 3, SyncGroups = ["g1"], NextMutationId = 2 },
    };

    /// <summary>Touches every part of the store: clears and rewrites records, adds and removes pending, new metadata.</summary>
    private static readonly LocalWrite Everything = new()
    {
        ClearRecords = true,
        Records = [new("issue", "3", """{"v":2}"""), new("issue", "1", """{"v":2}""")],
        AddPending = [new(2, "b", "{}")],
        RemovePending = [1],
        Metadata = new LocalMetadata { ClientId = "c", LastSyncId = 9, SyncGroups = ["g1", "g2"], NextMutationId = 3 },
    };

    [Fact]
    public async Task A_fault_before_commit_leaves_the_store_as_it_was()
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

        var error = await Assert.ThrowsAsync<IOException>(async () => await store.WriteAsync(Everything, Ct));

        Assert.Equal("simulated crash", error.Message);
        Assert.Equal(["before-commit"], points);
        // The same store is still consistent and usable...
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        // ...and so is the file.
        store = await _harness.ReopenAsync(store);
        var after = await store.LoadAsync(Ct);
        Snapshots.AssertSame(before, after);
        Assert.Equal(2, after.Records.Count);
        Assert.Equal([new PendingMutation(1, "a", "{}")], after.Pending);
        Assert.Equal(3, after.Metadata.LastSyncId);
    }

    [Fact]
    public async Task A_write_after_a_fault_commits_normally()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(Baseline, Ct);
        store.FaultPoint = _ => throw new IOException("simulated crash");
        await Assert.ThrowsAsync<IOException>(async () => await store.WriteAsync(Everything, Ct));

        store.FaultPoint = null;
        await store.WriteAsync(Everything, Ct);
        store = await _harness.ReopenAsync(store);
        var snapshot = await store.LoadAsync(Ct);

        Assert.Equal([new StoredRecord("issue", "1", """{"v":2}"""), new StoredRecord("issue", "3", """{"v":2}""")], snapshot.Records);
        Assert.Equal([new PendingMutation(2, "b", "{}")], snapshot.Pending);
        Assert.Equal(["g1", "g2"], snapshot.Metadata.SyncGroups);
    }

    [Fact]
    public async Task Adding_an_existing_pending_id_fails_and_writes_nothing()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(Baseline, Ct);
        var before = await store.LoadAsync(Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.WriteAsync(new LocalWrite
        {
            ClearRecords = true,
            Records = [new("issue", "9", "{}")],
            AddPending = [new(5, "new", "{}"), new(1, "again", "{}")],
            Metadata = new LocalMetadata { ClientId = "other", NextMutationId = 6 },
        }, Ct));

        Assert.Contains("1", error.Message);
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
        store = await _harness.ReopenAsync(store);
        Snapshots.AssertSame(before, await store.LoadAsync(Ct));
    }

    [Fact]
    public async Task The_same_pending_id_twice_in_one_write_fails_and_writes_nothing()
    {
        var store = await _harness.OpenAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.WriteAsync(new LocalWrite
        {
            Records = [new("issue", "1", "{}")],
            AddPending = [new(1, "a", "{}"), new(1, "a", "{}")],
        }, Ct));

        var snapshot = await store.LoadAsync(Ct);
        Assert.Empty(snapshot.Records);
        Assert.Empty(snapshot.Pending);
    }

    [Fact]
    public async Task A_cancelled_write_writes_nothing()
    {
        var store = await _harness.OpenAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")] }, cancelled.Token));

        Assert.Empty((await store.LoadAsync(Ct)).Records);
    }

    [Fact]
    public async Task A_large_write_cancelled_midway_is_rolled_back()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(Baseline, Ct);
        using var cancellation = new CancellationTokenSource();
        // The list cancels the write while the store is reading it, after thousands of rows went in.
        var changes = new CancellingList(50_000, cancelAt: 20_000, cancellation);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await store.WriteAsync(new LocalWrite { ClearRecords = true, Records = changes }, cancellation.Token));

        Assert.True(changes.Cancelled);
        var baseline = Snapshots.Sorted(Baseline.Records.Select(r => new StoredRecord(r.ModelName, r.Id, r.Data!)));
        Assert.Equal(baseline, (await store.LoadAsync(Ct)).Records);
        store = await _harness.ReopenAsync(store);
        Assert.Equal(baseline, (await store.LoadAsync(Ct)).Records);
    }

    private sealed class CancellingList(int count, int cancelAt, CancellationTokenSource cancellation)
        : IReadOnlyList<LocalRecordChange>
    {
        public bool Cancelled { get; private set; }

        public int Count => count;

        public LocalRecordChange this[int index]
        {
            get
            {
                if (index == cancelAt)
                {
                    cancellation.Cancel();
                    Cancelled = true;
                }

                return new LocalRecordChange("issue", index.ToString(System.Globalization.CultureInfo.InvariantCulture), "{}");
            }
        }

        public IEnumerator<LocalRecordChange> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
