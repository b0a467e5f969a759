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
