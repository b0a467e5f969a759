using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>An app's database of one test's own: a SQLite file in a temporary directory, or a fresh PostgreSQL
/// database on the tests' cluster (skipped, or failed in CI, when there is none).</summary>
public sealed class AppDatabase : IAsyncDisposable
{
    private readonly TempDirectory? _directory;
    private readonly PostgresDatabase? _postgres;

    private AppDatabase(TempDirectory? directory, PostgresDatabase? postgres)
    {
        _directory = directory;
        _postgres = postgres;
    }

    public bool IsPostgres => _postgres is not null;

    /// <summary>The SQLite file (null on PostgreSQL).</summary>
    public string? SqlitePath => _directory is null ? null : Path.Combine(_directory.Path, "app.db");

    /// <summary>The PostgreSQL connection string (null on SQLite).</summary>
    public string? PostgresConnection => _postgres?.ConnectionString;

    public static async Task<AppDatabase> CreateAsync(bool postgres)
        => postgres ? new AppDatabase(null, await PostgresDatabase.CreateAsync()) : new AppDatabase(new TempDirectory(), null);

    /// <summary>Points an app's context at this database, as the app's <c>AddDbContext</c> would.</summary>
    public void Configure(DbContextOptionsBuilder options)
    {
        if (_postgres is not null)
        {
            options.UseNpgsql(_postgres.ConnectionString);
        }
        else
        {
            options.UseSqlite($"Data Source={SqlitePath}");
        }
    }

    /// <summary>Runs SQL on a connection of its own, as another program on the same database would.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using System.Data.Common.DbConnection connection = _postgres is not null
            ? new NpgsqlConnection(_postgres.ConnectionString)
            : new SqliteConnection($"Data Source={SqlitePath};Pooling=False");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using System.Data.Common.DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using System.Data.Common.DbConnection connection = _postgres is not null
            ? new NpgsqlConnection(_postgres.ConnectionString)
            : new SqliteConnection($"Data Source={SqlitePath};Pooling=False");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using System.Data.Common.DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Makes the database refuse an insert into <paramref name="table"/> whose <paramref name="column"/> is
    /// <paramref name="value"/> (a trigger that raises), as an app's rule in its database would.</summary>
    public Task RefuseAsync(string table, string column, string value)
    {
        string literal = "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
        return ExecuteAsync(IsPostgres
            ? $"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; " +
              $"CREATE TRIGGER refuse_{table} BEFORE INSERT OR UPDATE ON \"{table}\" FOR EACH ROW WHEN (NEW.\"{column}\" = {literal}) EXECUTE FUNCTION refuse_{table}()"
            : $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON \"{table}\" WHEN NEW.\"{column}\" = {literal} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END; " +
              $"CREATE TRIGGER refuse_{table}_update BEFORE UPDATE ON \"{table}\" WHEN NEW.\"{column}\" = {literal} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        if (_directory is not null)
        {
            // Only this database's pool: clearing every pool would close connections other tests are using.
            using (var connection = new SqliteConnection($"Data Source={SqlitePath}"))
            {
                SqliteConnection.ClearPool(connection);
            }
            _directory.Dispose();
        }
    }
}
