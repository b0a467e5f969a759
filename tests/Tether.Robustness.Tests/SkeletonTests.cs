using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests;

public sealed class SkeletonTests
{
    [Fact]
    public async Task The_harness_starts_a_server()
    {
        await using TestServer server = await TestServer.StartAsync();
        Assert.NotNull(server.BaseAddress);
    }
}
