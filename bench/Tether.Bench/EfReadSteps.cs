using System.Buffers;
using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.Bench.EfApp;

namespace Tether.Bench;

/// <summary>
/// Where the time of a bootstrap from the app's table goes, step by step, without a server: the same issues in the
/// app's <c>issues</c> table (inserted directly), read in key order five ways, each adding one step of what the
/// EF-backed store's bootstrap cursor does: the raw rows as bytes; the same with the cursor's group filter
/// (<c>WHERE "TeamId" = 't'</c>); the filtered rows read as typed .NET values through ADO.NET; the same query through
/// EF Core (no tracking), materializing entities; and each entity serialized to JSON with the model's contract.
/// With <c>team-id</c>, the table also has an index on (TeamId, Id), which gives the filtered rows in key order.
/// </summary>
internal static class EfReadSteps
{
    private const string Columns = "\"Id\", \"CreatedAt\", \"Description\", \"Status\", \"TeamId\", \"Title\"";

    public static async Task RunAsync(string directory, string? postgres, int rows, bool teamIdIndex, int rounds)
    {
        await using BenchDatabase database = await BenchDatabase.CreateAsync(directory, postgres);
        DbContextOptions<BenchDb> options = Options(database);
        await FillAsync(options, rows, teamIdIndex, postgres is not null);
        (string Name, Func<Task<long>> Read)[] steps =
        [
            ("raw rows, key order", () => Task.FromResult(Raw(database, $"SELECT {Columns} FROM issues ORDER BY \"Id\"").Rows)),
            ("raw rows, group filter, key order", () => Task.FromResult(Raw(database, $"SELECT {Columns} FROM issues WHERE \"TeamId\" = 't' ORDER BY \"Id\"").Rows)),
            ("ADO.NET typed values", () => TypedAsync(options)),
            ("EF Core entities (no tracking)", () => EntitiesAsync(options, json: false)),
            ("EF Core entities + JSON", () => EntitiesAsync(options, json: true)),
        ];
        foreach ((_, Func<Task<long>> read) in steps)
        {
            await read();
        }
        var rates = steps.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int s = 0; s < steps.Length; s++)
            {
                var clock = Stopwatch.StartNew();
                long read = await steps[s].Read();
                if (read != rows)
                {
                    throw new InvalidOperationException($"{steps[s].Name} read {read} rows, not {rows}.");
                }
                rates[s].Add(read / clock.Elapsed.TotalSeconds);
            }
        }
        Console.WriteLine($"Reading {rows} issues from the app's table on {database.Provider} ({(teamIdIndex ? "indexes on TeamId and on (TeamId, Id)" : "an index on TeamId")}), {rounds} rounds of the five steps in turn; median rows/s:");
        Console.WriteLine("| step | rows/s | x raw rows |");
        Console.WriteLine("|---|---:|---:|");
        double floor = ServerBootstrap.Median(rates[0]);
        for (int s = 0; s < steps.Length; s++)
        {
            double median = ServerBootstrap.Median(rates[s]);
            Console.WriteLine($"| {steps[s].Name} | {median:F0} | {median / floor:F2} |");
        }
    }

    private static DbContextOptions<BenchDb> Options(BenchDatabase database)
    {
        var builder = new DbContextOptionsBuilder<BenchDb>();
        database.Configure(builder);
        return builder.Options;
    }

    /// <summary>The rows as <see cref="BenchRequests.Issue"/> makes them, in one transaction of prepared inserts.</summary>
    private static async Task FillAsync(DbContextOptions<BenchDb> options, int rows, bool teamIdIndex, bool postgres)
    {
        await using var db = new BenchDb(options);
        await db.Database.EnsureCreatedAsync();
        if (teamIdIndex)
        {
            await db.Database.ExecuteSqlRawAsync("CREATE INDEX ix_issues_team_id ON issues(\"TeamId\", \"Id\")");
        }
        await db.Database.OpenConnectionAsync();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            DbConnection connection = db.Database.GetDbConnection();
            await using DbCommand insert = connection.CreateCommand();
            insert.Transaction = transaction.GetDbTransaction();
            insert.CommandText = $"INSERT INTO issues({Columns}) VALUES (@id, @createdAt, @description, @status, @teamId, @title)";
            DbParameter[] parameters = [.. new[] { "id", "createdAt", "description", "status", "teamId", "title" }.Select(name =>
            {
                DbParameter parameter = insert.CreateParameter();
                parameter.ParameterName = "@" + name;
                insert.Parameters.Add(parameter);
                return parameter;
            })];
            for (int i = 0; i < rows; i++)
            {
                Issue issue = BenchRequests.Issue($"i{i}", i).ToIssue();
                parameters[0].Value = issue.Id;
                parameters[1].Value = issue.CreatedAt;
                parameters[2].Value = issue.Description;
                parameters[3].Value = issue.Status;
                parameters[4].Value = issue.TeamId;
                parameters[5].Value = issue.Title;
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        if (postgres)
        {
            await db.Database.ExecuteSqlRawAsync("ANALYZE issues");
        }
    }

    private static ReadFigures Raw(BenchDatabase database, string sql)
        => database.Postgres is { } postgres ? ServerBootstrap.PostgresFloor(postgres, sql) : ServerBootstrap.SqliteFloor(database.SqlitePath!, sql);

    private static async Task<long> TypedAsync(DbContextOptions<BenchDb> options)
    {
        await using var db = new BenchDb(options);
        await db.Database.OpenConnectionAsync();
        await using DbCommand query = db.Database.GetDbConnection().CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM issues WHERE \"TeamId\" = @team ORDER BY \"Id\"";
        DbParameter team = query.CreateParameter();
        team.ParameterName = "@team";
        team.Value = BenchModels.TeamId;
        query.Parameters.Add(team);
        await using DbDataReader reader = await query.ExecuteReaderAsync();
        long rows = 0;
        while (await reader.ReadAsync())
        {
            _ = reader.GetString(0);
            _ = reader.GetFieldValue<DateTimeOffset>(1);
            _ = reader.IsDBNull(2) ? null : reader.GetString(2);
            _ = reader.GetString(3);
            _ = reader.GetString(4);
            _ = reader.GetString(5);
            rows++;
        }
        return rows;
    }

    /// <summary>The query the EF-backed store's cursor runs (the group filter as <c>Contains</c>, key order).</summary>
    private static async Task<long> EntitiesAsync(DbContextOptions<BenchDb> options, bool json)
    {
        await using var db = new BenchDb(options);
        var buffer = new ArrayBufferWriter<byte>(1024);
        await using var writer = new Utf8JsonWriter(buffer);
        string[] teams = [BenchModels.TeamId];
        long rows = 0;
        await foreach (Issue issue in db.Issues.AsNoTracking().Where(i => teams.Contains(i.TeamId)).OrderBy(i => i.Id).AsAsyncEnumerable())
        {
            if (json)
            {
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
                JsonSerializer.Serialize(writer, issue, BenchModels.Issue.Json);
            }
            rows++;
        }
        return rows;
    }
}
