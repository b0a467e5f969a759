using Tether.Server.Sqlite.Internal;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class DurabilityTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public void The_writer_syncs_every_commit_in_full_unless_the_host_chooses_normal()
    {
        // PRAGMA synchronous belongs to the connection, so it is read on the writer connection the store opens.
        Directory.CreateDirectory(Path.GetDirectoryName(_harness.DatabasePath)!);
        var defaults = new SqliteStoreOptions { Path = _harness.DatabasePath };
        using (var writer = SqliteConnections.OpenWriter(defaults))
        {
            Assert.Equal(2L, Scalar(writer, "PRAGMA synchronous;")); // FULL
        }

        using var normal = SqliteConnections.OpenWriter(new SqliteStoreOptions { Path = _harness.DatabasePath, Synchronous = SqliteSynchronous.Normal });
        Assert.Equal(1L, Scalar(normal, "PRAGMA synchronous;")); // NORMAL
    }
}
