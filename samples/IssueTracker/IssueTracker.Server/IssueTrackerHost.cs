using Tether.LiveStore;
using Tether.Replicache;
using Tether.Server;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;

namespace IssueTracker.Server;

/// <summary>How the issue tracker composes Tether; shared by <c>Program</c> and the tests so both run the same server.</summary>
public static class IssueTrackerHost
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string DefaultDataPath = "./data/tether.db";

    /// <summary>Adds Tether with the issue tracker's models, mutators, groups and write policy, reading the rest of
    /// <see cref="TetherServerOptions"/> from the <c>Tether</c> configuration section. Storage is SQLite at
    /// <c>--data</c> (or <c>Tether:Data</c>) unless <c>--storage postgres --connection "Host=…"</c> (or
    /// <c>Tether:Storage</c> / <c>Tether:Connection</c>) says PostgreSQL, which several nodes can share.</summary>
    public static ITetherServerBuilder AddIssueTracker(this WebApplicationBuilder builder, Action<TetherServerOptions>? configure = null, Action<SqliteStoreOptions>? configureStore = null)
    {
        IConfiguration configuration = builder.Configuration;
        builder.Services.Configure<TetherServerOptions>(configuration.GetSection("Tether"));
        ITetherServerBuilder tether = builder.Services
            .AddTether(options =>
            {
                options.Models.UnionWith(IssueTrackerModels.All);
                options.SupportedSchema = new(IssueTrackerSchema.Version, IssueTrackerSchema.Version);
                configure?.Invoke(options);
            })
            .AddMutators(IssueTrackerMutators.All)
            .UseSyncGroupResolver<IssueTrackerGroupResolver>()
            .UseWritePolicy<IssueTrackerWritePolicy>()
            .AddLiveStore(options =>
            {
                options.Authorize = LiveStoreAccess.AuthorizeAsync;
                options.AuthorizeAdmin = LiveStoreAccess.AdminsFrom(configuration);
            })
            .AddReplicache();
        string storage = configuration["storage"] ?? configuration["Tether:Storage"] ?? "sqlite";
        return storage.ToLowerInvariant() switch
        {
            "sqlite" => tether.UseSqlite(configuration["data"] ?? configuration["Tether:Data"] ?? DefaultDataPath, configureStore),
            "postgres" or "postgresql" => tether.UsePostgreSql(configuration["connection"] ?? configuration["Tether:Connection"]
                ?? throw new InvalidOperationException("--storage postgres needs --connection \"Host=…;Database=…;Username=…\" (or Tether:Connection).")),
            _ => throw new InvalidOperationException($"--storage is 'sqlite' (the default) or 'postgres', not '{storage}'."),
        };
    }

    /// <summary>Maps the sync endpoints: Tether's at <c>/sync</c>, LiveStore's at <c>/livestore</c> (its admin
    /// operations at <c>/livestore/admin</c>) and Replicache's at <c>/replicache</c>.</summary>
    public static void MapIssueTrackerSync(this WebApplication app)
    {
        app.MapTether("/sync");
        // LiveStore apps sync here too (makeWsSync / makeHttpSync of @livestore/sync-cf pointed at /livestore).
        app.MapLiveStore("/livestore");
        app.MapLiveStoreAdmin("/livestore/admin");
        // Replicache apps too: pushURL /replicache/push, pullURL /replicache/pull (keys are <modelName>/<modelId>).
        app.MapReplicache("/replicache");
    }
}
