using Microsoft.Extensions.DependencyInjection;
using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

public sealed class RegistrationTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task UseSqlite_registers_one_working_store_for_the_file()
    {
        var builder = new TestBuilder();

        var returned = builder.UseSqlite(_harness.DatabasePath, o => o.BusyTimeout = TimeSpan.FromSeconds(2));

        Assert.Same(builder, returned);
        var descriptor = Assert.Single(builder.Services, d => d.ServiceType == typeof(ITetherStore));
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);

        await using var provider = builder.Services.BuildServiceProvider();
        var store = provider.GetRequiredService<ITetherStore>();
        Assert.Same(store, provider.GetRequiredService<ITetherStore>());
        Assert.IsType<SqliteTetherStore>(store);

        await store.InitializeAsync(Ct);
        Assert.Equal([1L], await CommitActionsAsync(store, "a"));
        Assert.True(File.Exists(_harness.DatabasePath));
    }

    private sealed class TestBuilder : ITetherServerBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }
}
