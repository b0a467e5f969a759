using IssueTracker.Server.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore;
using Tether.LiveStore;
using Tether.Replicache;
using Tether.Server;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Server;

/// <summary>How the issue tracker composes Tether; shared by <c>Program</c> and the tests so both run the same server.</summary>
public static class IssueTrackerHost
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string DefaultDataPath = "./data/tether.db";

    /// <summary>
    /// Adds Tether with the issue tracker's models, mutators, groups and write policy, reading the rest of
    /// <see cref="TetherServerOptions"/> from the <c>Tether</c> configuration section. The database is SQLite at
    /// <c>--data</c> (or <c>Tether:Data</c>) unless <c>--storage postgres --connection "Host=…"</c> (or
    /// <c>Tether:Storage</c> / <c>Tether:Connection</c>) says PostgreSQL, which several nodes can share. The teams,
    /// members, projects, issues and comments are the app's own EF Core tables (<see cref="IssueTrackerDb"/>, migrated
    /// at startup) unless <c>--store json</c> (or <c>Tether:Store</c>) keeps them as JSON records in Tether's built-in
    /// store, the zero-configuration default of a Tether app, which the benchmarks compare against; that store on
    /// PostgreSQL takes its <see cref="PostgreSqlStoreOptions"/> from <c>Tether:PostgreSql</c> (e.g. <c>Writers</c>).
    /// </summary>
    public static ITetherServerBuilder AddIssueTracker(this WebApplicationBuilder builder, Action<TetherServerOptions>? configure = null, Action<SqliteStoreOptions>? configureStore = null)
    {
        IConfiguration configuration = builder.Configuration;
        string store = (configuration["store"] ?? configuration["Tether:Store"] ?? "ef").ToLowerInvariant();
        if (store is not ("ef" or "json"))
        {
            throw new InvalidOperationException($"--store is 'ef' (the default: the app's own tables) or 'json' (Tether's built-in store), not '{store}'.");
        }
        string storage = (configuration["storage"] ?? configuration["Tether:Storage"] ?? "sqlite").ToLowerInvariant();
        string? connection = storage switch
        {
            "sqlite" => null,
            "postgres" or "postgresql" => configuration["connection"] ?? configuration["Tether:Connection"]
                ?? throw new InvalidOperationException("--storage postgres needs --connection \"Host=…;Database=…;Username=…\" (or Tether:Connection)."),
            _ => throw new InvalidOperationException($"--storage is 'sqlite' (the default) or 'postgres', not '{storage}'."),
        };
        string dataPath = configuration["data"] ?? configuration["Tether:Data"] ?? DefaultDataPath;

        builder.Services.Configure<TetherServerOptions>(configuration.GetSection("Tether"));
        if (store == "ef")
        {
            AddDatabase(builder.Services, connection, dataPath);
        }
        ITetherServerBuilder tether = builder.Services
            .AddTether(options =>
            {
                options.Models.UnionWith(IssueTrackerModels.All);
                options.SupportedSchema = new(IssueTrackerSchema.Version, IssueTrackerSchema.Version);
                options.Admins.UnionWith(LiveStoreAccess.AdminNames(configuration));
                configure?.Invoke(options);
            })
            .AddMutators(IssueTrackerMutators.All)
            .UseSyncGroupResolver<IssueTrackerGroupResolver>()
            .UseWritePolicy<IssueTrackerWritePolicy>()
            .AddLiveStore(options =>
            {
                options.Authorize = LiveStoreAccess.AuthorizeAsync;
                options.AuthorizeAdmin = LiveStoreAccess.IsAdminAsync;
            })
            .AddReplicache();
        return (store, connection) switch
        {
            ("ef", null) => tether.UseEntityFramework<SqliteIssueTrackerDb>(sync =>
            {
                MapModels(sync);
                if (configureStore is not null)
                {
                    sync.Sqlite(configureStore);
                }
            }),
            ("ef", _) => tether.UseEntityFramework<PostgresIssueTrackerDb>(MapModels),
            (_, null) => tether.UseSqlite(dataPath, configureStore),
            _ => tether.UsePostgreSql(connection, postgres => configuration.GetSection("Tether:PostgreSql").Bind(postgres)),
        };
    }

    /// <summary>Maps the sync endpoints: Tether's at <c>/sync</c>, LiveStore's at <c>/livestore</c> (its admin
    /// operations at <c>/livestore/admin</c>) and Replicache's at <c>/replicache</c>; with the app's own tables, also
    /// its REST API at <c>/api</c> (<see cref="IssueEndpoints"/>).</summary>
    public static void MapIssueTrackerSync(this WebApplication app)
    {
        app.MapTether("/sync");
        // LiveStore apps sync here too (makeWsSync / makeHttpSync of @livestore/sync-cf pointed at /livestore).
        app.MapLiveStore("/livestore");
        app.MapLiveStoreAdmin("/livestore/admin");
        // Replicache apps too: pushURL /replicache/push, pullURL /replicache/pull (keys are <modelName>/<modelId>).
        app.MapReplicache("/replicache");
        if (app.Services.GetRequiredService<IServiceProviderIsService>().IsService(typeof(IssueTrackerDb)))
        {
            app.MapIssueEndpoints();
        }
    }

    /// <summary>The app's <see cref="IssueTrackerDb"/> on SQLite at <paramref name="dataPath"/> or on PostgreSQL at
    /// <paramref name="postgres"/>, migrated by a hosted service registered before Tether's, so that it runs first.</summary>
    private static void AddDatabase(IServiceCollection services, string? postgres, string dataPath)
    {
        if (postgres is null)
        {
            string sqlite = new SqliteConnectionStringBuilder { DataSource = dataPath }.ToString();
            services.AddDbContext<SqliteIssueTrackerDb>(options => options.UseSqlite(sqlite));
            services.AddScoped<IssueTrackerDb>(sp => sp.GetRequiredService<SqliteIssueTrackerDb>());
        }
        else
        {
            services.AddDbContext<PostgresIssueTrackerDb>(options => options.UseNpgsql(postgres));
            services.AddScoped<IssueTrackerDb>(sp => sp.GetRequiredService<PostgresIssueTrackerDb>());
        }
        services.AddHostedService<MigrateDatabase>();
    }

    private static void MapModels<TDb>(EntityFrameworkSyncBuilder<TDb> sync) where TDb : DbContext
        => sync.Model(Teams).Model(Members).Model(Projects).Model(Issues).Model(Comments);
}
