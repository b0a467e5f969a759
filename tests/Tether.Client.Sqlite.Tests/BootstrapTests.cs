using Tether.Mutators;
using System.Diagnostics;
using System.Globalization;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

public sealed class BootstrapTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_bootstrap_of_100000_records_is_one_fast_write()
    {
        const int count = 100_000;
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { Records = [new("stale", "1", "{}")] }, Ct);
        var changes = new LocalRecordChange[count];
        for (var i = 0; i < count; i++)
        {
            var id = i.ToString("D6", CultureInfo.InvariantCulture);
            changes[i] = new LocalRecordChange(i % 2 == 0 ? "issue" : "comment", id, $$"""{"id":"{{id}}","title":"Issue number {{i}}"}""");
        }

        var commits = 0;
        store.FaultPoint = point => commits += point == "before-commit" ? 1 : 0;
        var stopwatch = Stopwatch.StartNew();
        await store.WriteAsync(new LocalWrite
        {
            ClearRecords = true,
            Records = changes,
            Metadata = new LocalMetadata { ClientId = "c", FirstSyncId = 100, LastSyncId = 100, SyncGroups = ["team:1"] },
        }, Ct);
        stopwatch.Stop();
        TestContext.Current.SendDiagnosticMessage($"Wrote {count} records in {stopwatch.ElapsedMilliseconds} ms.");

        Assert.Equal(1, commits);
        // Generous for a shared CI machine; locally it is well under a second or two.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"Writing {count} records took {stopwatch.Elapsed}.");
        store = await _harness.ReopenAsync(store);
        var snapshot = await store.LoadAsync(Ct);
        Assert.Equal(count, snapshot.Records.Count);
        Assert.DoesNotContain(snapshot.Records, r => r.ModelName == "stale");
        Assert.Equal(new StoredRecord("comment", "000001", """{"id":"000001","title":"Issue number 1"}"""), snapshot.Records[0]);
        Assert.Equal(new StoredRecord("issue", "099998", """{"id":"099998","title":"Issue number 99998"}"""), snapshot.Records[^1]);
        Assert.True(snapshot.Metadata.IsBootstrapped);
    }
}
