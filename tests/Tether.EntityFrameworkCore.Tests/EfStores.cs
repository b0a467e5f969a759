using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tether.Server;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>EF-backed stores made as <c>UseEntityFramework</c> registers them, each with a service provider of its
/// own (the app's <c>AddDbContext</c> and Tether's registration, no host), disposed with this object.</summary>
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
}
