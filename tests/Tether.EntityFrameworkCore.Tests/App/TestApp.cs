using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Sqlite;

namespace Tether.Server.Tests.Harness;

/// <summary>The app <see cref="TestServer"/> runs here: an EF Core app (<see cref="BoardDb"/>) that adds Tether on
/// its own database, SQLite at the configuration's <c>database</c> (else <c>data</c>) or PostgreSQL at its
/// <c>connection</c> when <c>storage</c> is <c>postgres</c>; <c>writerWaitMs</c> shortens how long a writer waits, and
/// <c>writers</c> sets how many write transactions run at once on PostgreSQL.
/// Its tables are made with <c>EnsureCreated</c> before Tether starts, as an app's own migrations would.</summary>
internal static class TestApp
{
    public static ITetherServerBuilder Add(WebApplicationBuilder builder, Action<TetherServerOptions> configure, Action<SqliteStoreOptions>? configureStore)
    {
        var configuration = builder.Configuration;
        string? postgres = configuration["storage"] == "postgres" ? configuration["connection"] : null;
        string sqlite = configuration["database"] ?? configuration["data"] ?? throw new InvalidOperationException("The test app needs a database.");
        builder.Services.AddDbContext<BoardDb>(options =>
        {
            if (postgres is not null)
            {
                options.UseNpgsql(postgres);
            }
            else
            {
                options.UseSqlite($"Data Source={sqlite}");
            }
        });
        return builder.Services
            .AddTether(configure)
            .AddMutators(BoardMutators.All)
            .UseSyncGroupResolver<MemberGroupResolver>()
            .UseEntityFramework<BoardDb>(sync =>
            {
                BoardModels.Map(sync);
                if (configureStore is not null)
                {
                    sync.Sqlite(configureStore);
                }
                // How long a writer waits for its turn (SQLite) or a row lock (PostgreSQL), for tests of a writer
                // that is kept waiting.
                if (configuration["writerWaitMs"] is { } wait)
                {
                    TimeSpan timeout = TimeSpan.FromMilliseconds(int.Parse(wait, System.Globalization.CultureInfo.InvariantCulture));
                    sync.CaptureSaveChanges(turnTimeout: timeout);
                    sync.PostgreSql(options => options.LockTimeout = timeout);
                }
                if (configuration["writers"] is { } writers)
                {
                    sync.PostgreSql(options => options.Writers = int.Parse(writers, System.Globalization.CultureInfo.InvariantCulture));
                }
            });
    }

    public static void Map(WebApplication app)
    {
        using (IServiceScope scope = app.Services.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<BoardDb>().Database.EnsureCreated();
        }
        foreach (AppStartup startup in app.Services.GetServices<AppStartup>())
        {
            using IServiceScope scope = app.Services.CreateScope();
            startup.RunAsync(scope.ServiceProvider).GetAwaiter().GetResult();
        }
        app.MapTether("/sync");
    }
}
