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
        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            await transaction.CommitAsync(new WriteBatch { Actions = [new LogEntry(1, "insert", "issue", "a", "{}", ["team:1"], "c1", 1)] }, Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(1, snapshot.Head);
        Assert.True(File.Exists(_harness.DatabasePath));
    }

    private sealed class TestBuilder : ITetherServerBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }
}
