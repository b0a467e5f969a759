using Tether.Mutators;
using Tether.Browser.Tests.Harness;
using Tether.Client;
using Tether.Client.Browser;

namespace Tether.Browser.Tests;

/// <summary>The C# <see cref="IndexedDbLocalStore"/> unchanged, against IndexedDB in a real Chromium through
/// <see cref="PlaywrightJSRuntime"/> (its JS interop runs in the page; its module is read from wwwroot).</summary>
public sealed class IndexedDbLocalStoreTests
{
    private static async Task<PlaywrightJSRuntime> RuntimeOnOriginAsync(BrowserSession browser, BrowserServer server)
    {
        await browser.Page.GotoAsync(server.BaseAddress.ToString());
        return new PlaywrightJSRuntime(browser.Page, new Dictionary<string, string>
        {
            [IndexedDbLocalStore.ModulePath] = RepoPaths.IndexedDbModule,
        });
    }

    [Fact]
    public async Task Store_round_trips_refuses_a_duplicate_pending_id_atomically_persists_across_reload_and_disposes()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using BrowserSession browser = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(ct);
        await browser.RunAsync(async () =>
        {
            PlaywrightJSRuntime js = await RuntimeOnOriginAsync(browser, server);
            var metadata = new LocalMetadata
            {
                ClientId = "client-1",
                UserId = "user-1",
                SchemaVersion = 3,
                FirstSyncId = 5,
                LastSyncId = 12,
                SyncGroups = ["team:a", "user:1"],
                NextMutationId = 4,
            };

            await using (IndexedDbLocalStore store = await IndexedDbLocalStore.OpenAsync(js, "tether-store", ct))
            {
                LocalSnapshot empty = await store.LoadAsync(ct);
                Assert.Equal(new LocalMetadata().LastSyncId, empty.Metadata.LastSyncId);
                Assert.False(empty.Metadata.IsBootstrapped);
                Assert.Empty(empty.Records);
                Assert.Empty(empty.Pending);

                await store.WriteAsync(new LocalWrite
                {
                    ClearRecords = true,
                    Records = [new("Issue", "1", "{\"title\":\"a\"}"), new("Issue", "2", "{\"title\":\"b\"}"), new("Comment", "1", "{}")],
                    AddPending = [new(1, "createIssue", "{\"id\":\"3\"}"), new(2, "addComment", "{}"), new(3, "updateIssue", "{}")],
                    Metadata = metadata,
                }, ct);
                await store.WriteAsync(new LocalWrite
                {
                    Records = [new("Issue", "2", null), new("Issue", "1", "{\"title\":\"a2\"}")],
                    RemovePending = [1],
                }, ct);

                var duplicate = new LocalWrite
                {
                    ClearRecords = true,
                    Records = [new("Issue", "9", "{}")],
                    AddPending = [new(4, "x", "{}"), new(2, "reused", "{}")],
                    RemovePending = [3],
                    Metadata = metadata with { LastSyncId = 99 },
                };
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteAsync(duplicate, ct).AsTask());
                Assert.Contains("Pending mutation 2 is already stored", error.Message);

                AssertExpected(await store.LoadAsync(ct), metadata);
            }

            await browser.Page.ReloadAsync();
            IndexedDbLocalStore reopened = await IndexedDbLocalStore.OpenAsync(js, "tether-store", ct);
            AssertExpected(await reopened.LoadAsync(ct), metadata);
            await reopened.DisposeAsync();
            await reopened.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => reopened.LoadAsync(ct).AsTask());
            await Assert.ThrowsAsync<ObjectDisposedException>(() => reopened.WriteAsync(new LocalWrite(), ct).AsTask());
        });
    }

    [Fact]
    public async Task A_bulk_write_commits_its_chunks_atomically_runs_alone_and_leaves_nothing_when_dropped_cancelled_or_refused()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using BrowserSession browser = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(ct);
        await browser.RunAsync(async () =>
        {
            PlaywrightJSRuntime js = await RuntimeOnOriginAsync(browser, server);
            var bootstrapped = new LocalMetadata { ClientId = "c", UserId = "u", FirstSyncId = 40, LastSyncId = 40, SyncGroups = ["team:a"], NextMutationId = 3 };
            var later = bootstrapped with { LastSyncId = 41 };
            // 3,500 rows in chunks of 1,000: more than one batch of requests in the commit's transaction.
            LocalRecordChange[][] chunks = [.. Enumerable.Range(0, 3_500).Select(i => new LocalRecordChange("Issue", Id(i), Data(i, "bulk"))).Chunk(1_000)];
            // Later wins within and across chunks: a delete after a put, a put after a delete.
            chunks[1] = [.. chunks[1], new("Issue", Id(3), null), new("Issue", Id(1), Data(1, "again"))];
            chunks[2] = [.. chunks[2], new("Issue", Id(1), null), new("Issue", Id(3), Data(3, "back"))];

            await using (IndexedDbLocalStore store = await IndexedDbLocalStore.OpenAsync(js, "tether-bulk", ct))
            {
                await store.WriteAsync(new LocalWrite
                {
                    Records = [new("Issue", "old", "{}"), new("Team", "t", "{}")],
                    AddPending = [new(1, "a", "{}"), new(2, "b", "{}")],
                    Metadata = bootstrapped with { LastSyncId = 5 },
                }, ct);
                LocalSnapshot before = await store.LoadAsync(ct);

                // Dropped uncommitted: nothing happened.
                await using (ILocalBulkWrite dropped = await store.BeginBulkWriteAsync(clearRecords: true, ct))
                {
                    await dropped.AddAsync(chunks[0], ct);
                }
                AssertSame(before, await store.LoadAsync(ct));

                // Cancelled midway: the earlier chunk goes too, and nothing is left to commit.
                using (var cancelled = new CancellationTokenSource())
                {
                    await cancelled.CancelAsync();
                    await using ILocalBulkWrite cut = await store.BeginBulkWriteAsync(clearRecords: true, ct);
                    await cut.AddAsync(chunks[0], ct);
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cut.AddAsync(chunks[1], cancelled.Token).AsTask());
                    await Assert.ThrowsAsync<ObjectDisposedException>(() => cut.CommitAsync(new LocalWrite { Metadata = later }, ct).AsTask());
                }
                AssertSame(before, await store.LoadAsync(ct));

                // Refused at the commit (a pending id already stored): the clear and the staged rows are not written.
                await using (ILocalBulkWrite refused = await store.BeginBulkWriteAsync(clearRecords: true, ct))
                {
                    await refused.AddAsync(chunks[0], ct);
                    var error = await Assert.ThrowsAsync<InvalidOperationException>(
                        () => refused.CommitAsync(new LocalWrite { AddPending = [new(2, "reused", "{}")], Metadata = later }, ct).AsTask());
                    Assert.Contains("Pending mutation 2 is already stored", error.Message);
                }
                AssertSame(before, await store.LoadAsync(ct));

                // Committed, with a write started while it is open: the write waits and lands after it.
                Task write;
                await using (ILocalBulkWrite bulk = await store.BeginBulkWriteAsync(clearRecords: true, ct))
                {
                    await bulk.AddAsync(chunks[0], ct);
                    write = store.WriteAsync(new LocalWrite { Records = [new("Issue", Id(2), Data(2, "write"))], Metadata = later }, ct).AsTask();
                    foreach (LocalRecordChange[] chunk in chunks[1..])
                    {
                        await bulk.AddAsync(chunk, ct);
                    }
                    Assert.False(write.IsCompleted);
                    await bulk.CommitAsync(new LocalWrite
                    {
                        Records = [new("Team", "t2", "{}")],
                        AddPending = [new(3, "c", "{}")],
                        RemovePending = [1],
                        Metadata = bootstrapped,
                    }, ct);
                }
                await write;
            }

            await browser.Page.ReloadAsync();
            await using IndexedDbLocalStore reopened = await IndexedDbLocalStore.OpenAsync(js, "tether-bulk", ct);
            LocalSnapshot snapshot = await reopened.LoadAsync(ct);
            Assert.Equal(41, snapshot.Metadata.LastSyncId);
            Assert.Equal(40, snapshot.Metadata.FirstSyncId);
            Assert.Equal([new PendingMutation(2, "b", "{}"), new PendingMutation(3, "c", "{}")], snapshot.Pending);
            Dictionary<string, string> records = snapshot.Records.ToDictionary(r => $"{r.ModelName}/{r.Id}", r => r.Data);
            // 3,500 issues but the deleted one, plus the team of the last part; the old records were cleared.
            Assert.Equal(3_500 - 1 + 1, records.Count);
            Assert.False(records.ContainsKey("Issue/old"));
            Assert.False(records.ContainsKey("Team/t"));
            Assert.False(records.ContainsKey($"Issue/{Id(1)}"));
            Assert.Equal(Data(3, "back"), records[$"Issue/{Id(3)}"]);
            Assert.Equal(Data(2, "write"), records[$"Issue/{Id(2)}"]);
            Assert.Equal(Data(3_499, "bulk"), records[$"Issue/{Id(3_499)}"]);
            Assert.Equal("{}", records["Team/t2"]);
        });
    }

    private static string Id(int i) => "i" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static string Data(int i, string value) => $$"""{"id":"{{Id(i)}}","v":"{{value}}"}""";

    private static void AssertSame(LocalSnapshot expected, LocalSnapshot actual)
    {
        Assert.Equal(expected.Metadata.LastSyncId, actual.Metadata.LastSyncId);
        Assert.Equal(expected.Metadata.SyncGroups, actual.Metadata.SyncGroups);
        Assert.Equal(expected.Metadata.NextMutationId, actual.Metadata.NextMutationId);
        Assert.Equal(Sorted(expected.Records), Sorted(actual.Records));
        Assert.Equal(expected.Pending, actual.Pending);
    }

    private static List<StoredRecord> Sorted(IEnumerable<StoredRecord> records) =>
        [.. records.OrderBy(r => r.ModelName, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)];

    private static void AssertExpected(LocalSnapshot snapshot, LocalMetadata metadata)
    {
        Assert.Equal(metadata.ClientId, snapshot.Metadata.ClientId);
        Assert.Equal(metadata.UserId, snapshot.Metadata.UserId);
        Assert.Equal(metadata.SchemaVersion, snapshot.Metadata.SchemaVersion);
        Assert.Equal(metadata.FirstSyncId, snapshot.Metadata.FirstSyncId);
        Assert.Equal(metadata.LastSyncId, snapshot.Metadata.LastSyncId);
        Assert.Equal(metadata.SyncGroups, snapshot.Metadata.SyncGroups);
        Assert.Equal(metadata.NextMutationId, snapshot.Metadata.NextMutationId);
        Assert.Equal(
            [new StoredRecord("Comment", "1", "{}"), new StoredRecord("Issue", "1", "{\"title\":\"a2\"}")],
            snapshot.Records.OrderBy(r => r.ModelName, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal));
        Assert.Equal([new PendingMutation(2, "addComment", "{}"), new PendingMutation(3, "updateIssue", "{}")], snapshot.Pending);
    }
}
