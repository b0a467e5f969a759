using IssueTracker.Server;
using Microsoft.AspNetCore.Builder;
using Tether.Server;
using Tether.Server.Sqlite;

namespace Tether.Server.Tests.Harness;

/// <summary>The app <see cref="TestServer"/> runs here: the issue tracker, composed exactly as its Program does.</summary>
internal static class TestApp
{
    public static ITetherServerBuilder Add(WebApplicationBuilder builder, Action<TetherServerOptions> configure, Action<SqliteStoreOptions>? configureStore)
        => builder.AddIssueTracker(configure, configureStore);

    public static void Map(WebApplication app) => app.MapIssueTrackerSync();
}
