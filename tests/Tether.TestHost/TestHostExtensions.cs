using Tether.LiveStore;
using Tether.Replicache;
using Tether.Server;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;

namespace Tether.TestHost;

/// <summary>How the tests compose Tether around the test model, in process and in <c>Program</c> alike.</summary>
public static class TestHostExtensions
{
    private const string PrivateStorePrefix = "user-";

    /// <summary>Adds Tether with the test model, LiveStore and Replicache, reading <see cref="TetherServerOptions"/>
    /// from the <c>Tether</c> configuration section. The store is SQLite at <c>--data</c>, or PostgreSQL at
    /// <c>--connection</c> when <c>--storage postgres</c> (with <c>--writers</c> write transactions at once).</summary>
    public static ITetherServerBuilder AddTestModel(this WebApplicationBuilder builder, Action<TetherServerOptions>? configure = null, Action<SqliteStoreOptions>? configureStore = null)
    {
        IConfiguration configuration = builder.Configuration;
        builder.Services.Configure<TetherServerOptions>(configuration.GetSection("Tether"));
        ITetherServerBuilder tether = builder.Services
            .AddTether(options =>
            {
                options.Models.UnionWith(TestModel.Models);
                configure?.Invoke(options);
            })
            .AddMutators(TestMutators.All)
            .UseSyncGroupResolver<TestGroupResolver>()
            .UseWritePolicy<TestWritePolicy>()
            .AddLiveStore(options => options.Authorize = AuthorizeStore)
            .AddReplicache();
        return configuration["storage"] == "postgres"
            ? tether.UsePostgreSql(configuration["connection"] ?? throw new InvalidOperationException("--storage postgres needs --connection."),
                store => store.Writers = configuration.GetValue("writers", store.Writers))
            : tether.UseSqlite(configuration["data"] ?? throw new InvalidOperationException("The test host needs --data <file>."), configureStore);
    }

    /// <summary>Tether at <c>/sync</c>, LiveStore at <c>/livestore</c> (admin at <c>/livestore/admin</c>), Replicache
    /// at <c>/replicache</c>.</summary>
    public static void MapTestModel(this WebApplication app)
    {
        app.MapTether("/sync");
        app.MapLiveStore("/livestore");
        app.MapLiveStoreAdmin("/livestore/admin");
        app.MapReplicache("/replicache");
    }

    /// <summary>A signed-in user may use any store but another user's: <c>user-&lt;id&gt;</c> and
    /// <c>user-&lt;id&gt;-…</c> belong to that user alone.</summary>
    private static ValueTask<bool> AuthorizeStore(LiveStoreAccessContext context)
    {
        if (context.UserId is not { } userId)
        {
            return ValueTask.FromResult(false);
        }
        string own = PrivateStorePrefix + userId;
        return ValueTask.FromResult(!context.StoreId.StartsWith(PrivateStorePrefix, StringComparison.Ordinal)
            || context.StoreId == own
            || context.StoreId.StartsWith(own + "-", StringComparison.Ordinal));
    }
}
