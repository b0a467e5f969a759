using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Server;
using Tether.Server.Sqlite;
using Tether.Server.Storage;

namespace Tether.Server.Tests.Harness;

/// <summary>What a test may change about the server it starts.</summary>
public sealed record TestServerSettings
{
    public Action<TetherServerOptions>? Tether { get; init; }
    public Action<SqliteStoreOptions>? Store { get; init; }
    public Action<ITetherServerBuilder>? Builder { get; init; }

    /// <summary>Runs on a fresh PostgreSQL database of its own (dropped with the server) instead of a SQLite file.</summary>
    public bool OnPostgres { get; init; }

    /// <summary>Another node's database (multi-node tests): this server shares it instead of getting its own.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>The host's environment (ASPNETCORE_ENVIRONMENT).</summary>
    public string Environment { get; init; } = "Development";

    /// <summary>Settings the app reads from its configuration, as its command-line flags would give them.</summary>
    public IReadOnlyDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();
}

/// <summary>The <see cref="TestApp"/> server on real Kestrel (127.0.0.1, a free port) and a real SQLite file, or
/// PostgreSQL (<see cref="TestServerSettings.OnPostgres"/>, <see cref="TestServerSettings.PostgresConnection"/>).</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestServerSettings _settings;
    private readonly TempDirectory? _ownedDirectory;
    private readonly PostgresDatabase? _ownedDatabase;

    private TestServer(WebApplication app, string dataPath, TestServerSettings settings, TempDirectory? ownedDirectory, PostgresDatabase? ownedDatabase)
    {
        _app = app;
        _settings = settings;
        _ownedDirectory = ownedDirectory;
        _ownedDatabase = ownedDatabase;
        DataPath = dataPath;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address);
    }

    public Uri BaseAddress { get; }
    public string DataPath { get; }
    public IServiceProvider Services => _app.Services;
    public ITetherStore Store => _app.Services.GetRequiredService<ITetherStore>();

    /// <summary>The PostgreSQL database this server uses (null on SQLite), for a second node on the same data.</summary>
    public string? PostgresConnection => _settings.PostgresConnection ?? _ownedDatabase?.ConnectionString;

    public static async Task<TestServer> StartAsync(TestServerSettings? settings = null)
    {
        settings ??= new TestServerSettings();
        var directory = new TempDirectory();
        PostgresDatabase? database = settings.OnPostgres && settings.PostgresConnection is null ? await PostgresDatabase.CreateAsync() : null;
        return await StartAsync(Path.Combine(directory.Path, "tether.db"), settings, directory, database, port: 0);
    }

    /// <summary>Stops this server and starts a new one on the same file, settings and port, after
    /// <paramref name="whileDown"/> ran (clients meanwhile find nothing listening).</summary>
    public async Task<TestServer> RestartAsync(Func<Task>? whileDown = null)
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }
        return await StartAsync(DataPath, _settings, _ownedDirectory, _ownedDatabase, BaseAddress.Port);
    }

    private static async Task<TestServer> StartAsync(string dataPath, TestServerSettings settings, TempDirectory? directory, PostgresDatabase? database, int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = settings.Environment });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.AddFilter((category, level) => level >= LogLevel.Warning && category != "Tether.Server.Internal.TetherInitializer" || level >= LogLevel.Error);
        foreach ((string key, string? value) in settings.Configuration)
        {
            builder.Configuration[key] = value;
        }
        builder.Configuration["data"] = dataPath;
        if ((settings.PostgresConnection ?? database?.ConnectionString) is { } postgres)
        {
            builder.Configuration["storage"] = "postgres";
            builder.Configuration["connection"] = postgres;
        }
        ITetherServerBuilder tether = TestApp.Add(builder, options =>
        {
            options.DevelopmentTokens = true;
            settings.Tether?.Invoke(options);
        }, settings.Store);
        settings.Builder?.Invoke(tether);
        WebApplication app = builder.Build();
        TestApp.Map(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            directory?.Dispose();
            if (database is not null)
            {
                await database.DisposeAsync();
            }
            throw;
        }
        return new TestServer(app, dataPath, settings, directory, database);
    }

    public SyncApi Api(string userId) => new(this, userId);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ownedDirectory?.Dispose();
        if (_ownedDatabase is not null)
        {
            await _ownedDatabase.DisposeAsync();
        }
    }
}

/// <summary>A directory under the system temp folder, deleted with everything in it.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tether-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    // No SqliteConnection.ClearAllPools() here: it empties every test's pools, also under connections other tests are
    // opening at that moment. Each store releases its own pool when disposed.
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
