using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.EntityFrameworkCore;
using Tether.Server;
using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;
using Tether.Server.Storage;

namespace Tether.Bench.EfApp;

/// <summary>Where the bench app keeps its synced issues.</summary>
internal enum BenchStore
{
    /// <summary>Tether's built-in JSON record store (<c>UseSqlite</c> / <c>UsePostgreSql</c>) in the app's database.</summary>
    BuiltIn,

    /// <summary>The app's own <c>issues</c> table (<c>UseEntityFramework</c>), its SaveChanges captured.</summary>
    EntityFramework,

    /// <summary>The app's own table, its SaveChanges not captured (<c>CaptureSaveChanges(false)</c>).</summary>
    EntityFrameworkWithoutCapture,
}

/// <summary>
/// The bench app on loopback Kestrel: an ASP.NET Core app with its <see cref="BenchDb"/> (tables made with
/// <c>EnsureCreated</c> before Tether starts, as its own migrations would) and Tether at <c>/sync</c> with the
/// <c>createIssue</c> mutator, no per-user limits. It also has its own endpoint, <c>POST /api/issues</c>, that inserts
/// an issue with EF Core in the request's scope and context, as a controller would, with no mutator.
/// </summary>
internal sealed class BenchAppServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchAppServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="store">Where the issues are kept.</param>
    /// <param name="database">The app's database.</param>
    /// <param name="teamIdIndex">Whether the app's table also has an index on (TeamId, Id): the rows of a team in key
    /// order, which is how the EF-backed store reads a bootstrap.</param>
    public static async Task<BenchAppServer> StartAsync(BenchStore store, BenchDatabase database, bool teamIdIndex = false)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" }); // development tokens are refused in Production
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddDbContext<BenchDb>(database.Configure);
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, BenchJson.Default));
        ITetherServerBuilder tether = builder.Services
            .AddTether(options =>
            {
                options.DevelopmentTokens = true;
                options.Limits.RequestsPerSecond = 0;
                options.Limits.MaxConnectionsPerUser = 0;
                options.Models.Add(BenchModels.Issue.Name);
            })
            .AddMutators([new CreateIssue()])
            .UseSyncGroupResolver<TeamGroupResolver>();
        _ = store switch
        {
            BenchStore.BuiltIn when database.Postgres is { } postgres => tether.UsePostgreSql(postgres),
            BenchStore.BuiltIn => tether.UseSqlite(database.SqlitePath!),
            _ => tether.UseEntityFramework<BenchDb>(sync => sync.Model(BenchModels.Issue).CaptureSaveChanges(store == BenchStore.EntityFramework)),
        };
        WebApplication app = builder.Build();
        using (IServiceScope scope = app.Services.CreateScope())
        {
            BenchDb db = scope.ServiceProvider.GetRequiredService<BenchDb>();
            await db.Database.EnsureCreatedAsync();
            if (teamIdIndex)
            {
                await db.Database.ExecuteSqlRawAsync("CREATE INDEX ix_issues_team_id ON issues(\"TeamId\", \"Id\")");
            }
        }
        app.MapTether("/sync");
        app.MapPost("/api/issues", async (CreateIssueArgs args, BenchDb db, CancellationToken cancellationToken) =>
        {
            db.Issues.Add(args.ToIssue());
            await db.SaveChangesAsync(cancellationToken);
            return Results.NoContent();
        });
        await app.StartAsync();
        return new BenchAppServer(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    public static string Label(BenchStore store) => store switch
    {
        BenchStore.BuiltIn => "built-in",
        BenchStore.EntityFramework => "EF",
        _ => "EF, no capture",
    };

    /// <summary>The head of Tether's log: the sync actions committed.</summary>
    public async Task<long> HeadAsync()
    {
        await using ITetherReadSnapshot snapshot = await Services.GetRequiredService<ITetherStore>().BeginReadAsync(CancellationToken.None);
        return snapshot.Head;
    }

    /// <summary>The rows of the app's own <c>issues</c> table.</summary>
    public async Task<int> AppRowsAsync()
    {
        await using AsyncServiceScope scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<BenchDb>().Issues.CountAsync();
    }

    /// <summary>How durable a commit of the app's own connections is: SQLite's journal mode and synchronous level
    /// on a connection of the app's context, or PostgreSQL's fsync and synchronous_commit.</summary>
    public async Task<string> AppDurabilityAsync()
    {
        await using AsyncServiceScope scope = Services.CreateAsyncScope();
        BenchDb db = scope.ServiceProvider.GetRequiredService<BenchDb>();
        bool sqlite = db.Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";
        string[] settings = sqlite ? ["journal_mode", "synchronous"] : ["fsync", "synchronous_commit"];
        await db.Database.OpenConnectionAsync();
        var values = new List<string>();
        foreach (string setting in settings)
        {
            await using System.Data.Common.DbCommand command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sqlite ? $"PRAGMA {setting}" : $"SHOW {setting}";
            values.Add($"{setting}={await command.ExecuteScalarAsync()}");
        }
        return string.Join(", ", values);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
