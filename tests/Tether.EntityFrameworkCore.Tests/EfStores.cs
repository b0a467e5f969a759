using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tether.EntityFrameworkCore.Internal;
using Tether.Server;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>EF-backed stores made as <c>UseEntityFramework</c> registers them, each with a service provider of its
/// own (the app's <c>AddDbContext</c> and Tether's registration, no host), disposed with this object. A store runs
/// the hosted services Tether registered from its initialization to its disposal, as a host would: on PostgreSQL
/// that is the sequencer, without which no commit is ever sequenced.</summary>
public sealed class EfStores<TDb>(AppDatabase database, Action<EntityFrameworkSyncBuilder<TDb>> configure) : IAsyncDisposable where TDb : DbContext
{
    private readonly List<ServiceProvider> _providers = [];

    /// <summary>A new, not yet initialized store on the database.</summary>
    public ITetherStore Create() => CreateWithServices().GetRequiredService<ITetherStore>();

    /// <summary>The services of a new, not yet initialized store on the database (its <see cref="ITetherStore"/>
    /// and its <see cref="IAppRecordModels"/>).</summary>
    public IServiceProvider CreateWithServices()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<TDb>(database.Configure);
        new Builder(services).UseEntityFramework(configure);
        services.AddSingleton<ITetherCommitSignal, NoSignal>();
        services.AddSingleton<ITetherStore>(sp => new HostedStore(sp.GetRequiredService<EfTetherStore<TDb>>(), [.. sp.GetServices<IHostedService>()]));
        ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = false });
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Creates the app's tables, as the app would before it adds Tether.</summary>
    public async Task CreateAppTablesAsync()
    {
        var services = new ServiceCollection();
        services.AddDbContext<TDb>(database.Configure);
        await using ServiceProvider provider = services.BuildServiceProvider();
        await using AsyncServiceScope scope = provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TDb>().Database.EnsureCreatedAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    private sealed class Builder(IServiceCollection services) : ITetherServerBuilder
    {
        public IServiceCollection Services => services;
    }

    /// <summary>No tailer to wake: the tests read the store.</summary>
    private sealed class NoSignal : ITetherCommitSignal
    {
        public void NotifyCommitted()
        {
        }
    }

    /// <summary>The store, with the hosted services started once it is initialized and stopped before it is disposed.</summary>
    private sealed class HostedStore(ITetherStore store, IReadOnlyList<IHostedService> services) : ITetherStore
    {
        private bool _started;

        public int Writers => store.Writers;

        public async Task InitializeAsync(CancellationToken cancellationToken)
        {
            await store.InitializeAsync(cancellationToken);
            if (!_started)
            {
                _started = true;
                foreach (IHostedService service in services)
                {
                    await service.StartAsync(cancellationToken);
                }
            }
        }

        public ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) => store.BeginWriteAsync(cancellationToken);

        public ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken) => store.BeginReadAsync(cancellationToken);

        public ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken) => store.BeginLogReadAsync(cancellationToken);

        public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken) => store.CompactAsync(upToSyncId, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (_started)
            {
                _started = false;
                foreach (IHostedService service in services.Reverse())
                {
                    await service.StopAsync(CancellationToken.None);
                }
            }
            await store.DisposeAsync();
        }
    }
}
