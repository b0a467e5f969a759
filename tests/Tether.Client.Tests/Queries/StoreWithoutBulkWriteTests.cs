using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Client.Tests.Queries;

public sealed class StoreWithoutBulkWriteTests
{
    [Fact]
    public async Task A_store_without_a_bulk_write_of_its_own_takes_a_streamed_bootstrap_whole()
    {
        var inner = new InMemoryLocalStore();
        OfflineClient client = await OfflineClient.StartAsync(store: new PlainStore(inner));
        JsonObject[] rows = [.. Enumerable.Range(0, 50).Select(i => OfflineClient.IssueJson("i" + i, "p", "t" + i, "todo"))];

        await client.BootstrapAsync(eager: true, rows, rowsPerLine: 7);

        LocalSnapshot stored = await inner.LoadAsync(CancellationToken.None);
        Assert.Equal(50, stored.Records.Count);
        Assert.Equal(50, client.Issues().Current.Count);
    }

    /// <summary>Only the two methods every store must have: the bulk write is the interface's default.</summary>
    private sealed class PlainStore(ILocalStore inner) : ILocalStore
    {
        public ValueTask<LocalSnapshot> LoadAsync(CancellationToken cancellationToken) => inner.LoadAsync(cancellationToken);

        public ValueTask WriteAsync(LocalWrite write, CancellationToken cancellationToken) => inner.WriteAsync(write, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
