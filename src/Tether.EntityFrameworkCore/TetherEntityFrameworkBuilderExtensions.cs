using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.EntityFrameworkCore.Internal.Capture;
using Tether.EntityFrameworkCore.Internal;
using Tether.Server;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore;

/// <summary>Makes an app's own EF Core tables Tether's synced data.</summary>
public static class TetherEntityFrameworkBuilderExtensions
{
    /// <summary>
    /// Keeps Tether's data in the database <typeparamref name="TDb"/> connects to (SQLite or PostgreSQL, from the
    /// app's own <c>AddDbContext</c> registration): the models <paramref name="configure"/> maps are the app's rows,
    /// read and written in the app's tables; Tether adds its own tables beside them (the log, group links, clients,
    /// the head, and the JSON records of every model that is not mapped) and leaves the app's schema alone. Rows that
    /// exist before Tether is added are served by bootstrap at once. The mapped models are added to
    /// <see cref="TetherServerOptions.Models"/>.
    /// </summary>
    public static ITetherServerBuilder UseEntityFramework<TDb>(this ITetherServerBuilder builder, Action<EntityFrameworkSyncBuilder<TDb>> configure)
        where TDb : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var sync = new EntityFrameworkSyncBuilder<TDb>();
        configure(sync);
        IServiceCollection services = builder.Services;
        var settings = new StoreSettings(sync.ConfigureSqlite, sync.ConfigurePostgreSql);
        IReadOnlyList<ModelDefinition> models = [.. sync.Models];
        services.AddSingleton(sp => new TetherContexts<TDb>(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddSingleton(sp => new SyncMapping<TDb>(models, sp.GetRequiredService<TetherContexts<TDb>>()));
        services.AddSingleton<IAppRecordModels>(sp => sp.GetRequiredService<SyncMapping<TDb>>());
        services.AddSingleton(sp => new EfTetherStore<TDb>(sp.GetRequiredService<SyncMapping<TDb>>(), sp.GetRequiredService<TetherContexts<TDb>>(), settings));
        services.AddSingleton<ITetherStore>(sp => sp.GetRequiredService<EfTetherStore<TDb>>());
        services.AddSingleton<IHostedService, EfCommitListener<TDb>>();
        if (sync.CapturesSaveChanges)
        {
            services.AddKeyedSingleton(typeof(TDb), (sp, _) => new SaveChangesCapture(
                sp.GetRequiredService<SyncMapping<TDb>>(),
                sp.GetRequiredService<EfTetherStore<TDb>>(),
                // A store made without a server (a tool, a test) has no tailer to wake.
                sp.GetService<ITetherCommitSignal>(),
                sync.TurnTimeout,
                sp.GetRequiredService<ILogger<SaveChangesCapture>>()));
            services.ConfigureDbContext<TDb>((sp, options) => options.AddInterceptors(sp.GetRequiredKeyedService<SaveChangesCapture>(typeof(TDb))));
        }
        services.Configure<TetherServerOptions>(options => options.Models.UnionWith(models.Select(model => model.Name)));
        return builder;
    }
}
