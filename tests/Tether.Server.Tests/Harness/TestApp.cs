using Microsoft.AspNetCore.Builder;
using Tether.Server.Sqlite;
using Tether.TestHost;

namespace Tether.Server.Tests.Harness;

/// <summary>The app <see cref="TestServer"/> runs: the tests' own model (tests/Tether.TestHost), never the sample's.
/// A project that links <see cref="TestServer"/> links one <c>TestApp</c> with it; the sample's tests link theirs.</summary>
internal static class TestApp
{
    /// <summary>Adds the app with its store: SQLite at the configuration's <c>data</c>, or PostgreSQL at its
    /// <c>connection</c> when <c>storage</c> is <c>postgres</c>.</summary>
    public static ITetherServerBuilder Add(WebApplicationBuilder builder, Action<TetherServerOptions> configure, Action<SqliteStoreOptions>? configureStore)
        => builder.AddTestModel(configure, configureStore);

    public static void Map(WebApplication app) => app.MapTestModel();
}
