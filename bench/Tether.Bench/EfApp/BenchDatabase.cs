using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Tether.Bench.EfApp;

/// <summary>A fresh database of the bench app for one run: a new SQLite file in the bench's directory, or a new
/// PostgreSQL database on the server of <c>TETHER_POSTGRES</c>, dropped at the end.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string? _postgresServer;
    private readonly string? _postgresName;

    private BenchDatabase(string? sqlitePath, string? postgres, string? postgresServer, string? postgresName)
    {
        SqlitePath = sqlitePath;
        Postgres = postgres;
        _postgresServer = postgresServer;
        _postgresName = postgresName;
    }

    /// <summary>The SQLite file, or null on PostgreSQL.</summary>
    public string? SqlitePath { get; }

    /// <summary>The PostgreSQL connection string, or null on SQLite.</summary>
    public string? Postgres { get; }

    public string Provider => Postgres is null ? "SQLite" : "PostgreSQL";

    public static async Task<BenchDatabase> CreateAsync(string directory, string? postgresServer)
    {
        string name = "tether_bench_ef_" + Guid.NewGuid().ToString("N")[..8];
        return postgresServer is null
            ? new BenchDatabase(Path.Combine(directory, name + ".db"), null, null, null)
            : new BenchDatabase(null, await PostgresLoad.CreateDatabaseAsync(postgresServer, name), postgresServer, name);
    }

    /// <summary>Points the app's context here, as its <c>AddDbContext</c> would.</summary>
    public void Configure(DbContextOptionsBuilder options)
    {
        if (Postgres is not null)
        {
            options.UseNpgsql(Postgres);
        }
        else
        {
            options.UseSqlite($"Data Source={SqlitePath}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgresServer is not null)
        {
            await PostgresLoad.DropDatabaseAsync(_postgresServer, _postgresName!);
        }
        else
        {
            using var connection = new SqliteConnection($"Data Source={SqlitePath}");
            SqliteConnection.ClearPool(connection);
        }
    }
}
