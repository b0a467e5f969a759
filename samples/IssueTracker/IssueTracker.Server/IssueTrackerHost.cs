using Tether.LiveStore;
using Tether.Server;
using Tether.Server.Sqlite;

namespace IssueTracker.Server;

/// <summary>How the issue tracker composes Tether; shared by <c>Program</c> and the tests so both run the same server.</summary>
public static class IssueTrackerHost
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string DefaultDataPath = "./data/tether.db";

    /// <summary>Adds Tether with the issue tracker's models, mutators, groups and write policy on SQLite at
    /// <c>--data</c> (or <c>Tether:Data</c>), reading the rest of <see cref="TetherServerOptions"/> from the
    /// <c>Tether</c> configuration section.</summary>
    public static ITetherServerBuilder AddIssueTracker(this WebApplicationBuilder builder, Action<TetherServerOptions>? configure = null, Action<SqliteStoreOptions>? configureStore = null)
    {
        IConfiguration configuration = builder.Configuration;
        string dataPath = configuration["data"] ?? configuration["Tether:Data"] ?? DefaultDataPath;
        builder.Services.Configure<TetherServerOptions>(configuration.GetSection("Tether"));
        return builder.Services
            .AddTether(options =>
            {
                options.Models.UnionWith(IssueTrackerModels.All);
                options.SupportedSchema = new(IssueTrackerSchema.Version, IssueTrackerSchema.Version);
                configure?.Invoke(options);
            })
            .AddMutators(IssueTrackerMutators.All)
            .UseSyncGroupResolver<IssueTrackerGroupResolver>()
            .UseWritePolicy<IssueTrackerWritePolicy>()
            .AddLiveStore(options => options.Authorize = LiveStoreAccess.AuthorizeAsync)
            .UseSqlite(dataPath, configureStore);
    }
}
