using System.Net.Http.Headers;
using Npgsql;
using Tether.Bench.EfApp;

namespace Tether.Bench;

/// <summary>
/// An eager bootstrap of the same issues from the app's own table (the EF-backed store) and from the built-in JSON
/// store, both streamed by the bench app on loopback Kestrel to a bare reader (<see cref="ServerBootstrap"/>'s),
/// each next to its floor: a raw read of the same rows from its own database in the stream's order. Both servers
/// run side by side, filled the same way (pushes of 1,000 <c>createIssue</c>); the four reads alternate, and which
/// store goes first alternates from round to round.
/// </summary>
internal static class EfBootstrap
{
    private const string AppRowsInOrder = """SELECT "Id", "TeamId", "Title", "Status", "Description", "CreatedAt" FROM issues ORDER BY "Id" """;

    public static async Task RunAsync(string directory, string? postgres, int rows, bool teamIdIndex, int rounds)
    {
        await using BenchDatabase builtInDatabase = await BenchDatabase.CreateAsync(directory, postgres);
        await using BenchDatabase efDatabase = await BenchDatabase.CreateAsync(directory, postgres);
        await using BenchAppServer builtIn = await BenchAppServer.StartAsync(BenchStore.BuiltIn, builtInDatabase);
        await using BenchAppServer ef = await BenchAppServer.StartAsync(BenchStore.EntityFramework, efDatabase, teamIdIndex);
        using var builtInSide = new Side(builtIn, Floor(builtInDatabase, ServerBootstrap.RecordsInOrder));
        using var efSide = new Side(ef, Floor(efDatabase, AppRowsInOrder));
        Side[] sides = [builtInSide, efSide];
        foreach (Side side in sides)
        {
            await SeedAsync(side.Http, rows);
        }
        if (postgres is not null)
        {
            // Fresh tables have no statistics until autovacuum comes by; a database in use has them.
            await AnalyzeAsync(builtInDatabase.Postgres!);
            await AnalyzeAsync(efDatabase.Postgres!);
        }

        // One unrecorded round first: JIT, statement and query caches, the page cache.
        foreach (Side side in sides)
        {
            await side.ReadAsync(rows);
        }

        Console.WriteLine($"Bootstrap stream of {rows} issues on {builtInDatabase.Provider} to a bare reader: the built-in JSON store and the app's own table (EF; {(teamIdIndex ? "indexes on TeamId and on (TeamId, Id)" : "an index on TeamId")}), {rounds} rounds, each store's floor and stream in turn, the first store alternating.");
        Console.WriteLine("| round | built-in floor rows/s | built-in stream rows/s | x its floor | EF floor rows/s | EF stream rows/s | x its floor | EF / built-in |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var results = sides.Select(_ => new List<(ReadFigures Floor, ReadFigures Stream)>()).ToArray();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (int s in round % 2 == 1 ? new[] { 0, 1 } : [1, 0])
            {
                results[s].Add(await sides[s].ReadAsync(rows));
            }
            Print(round.ToString(System.Globalization.CultureInfo.InvariantCulture), results[0][^1], results[1][^1]);
        }
        Print("median", Median(results[0]), Median(results[1]));
        Console.WriteLine($"Stream sizes: built-in {results[0][0].Stream.Bytes / (1024.0 * 1024.0):F1} MiB, EF {results[1][0].Stream.Bytes / (1024.0 * 1024.0):F1} MiB.");
    }

    private static void Print(string round, (ReadFigures Floor, ReadFigures Stream) builtIn, (ReadFigures Floor, ReadFigures Stream) ef)
        => Console.WriteLine($"| {round} | {builtIn.Floor.RowsPerSecond:F0} | {builtIn.Stream.RowsPerSecond:F0} | {builtIn.Stream.RowsPerSecond / builtIn.Floor.RowsPerSecond:F3} | {ef.Floor.RowsPerSecond:F0} | {ef.Stream.RowsPerSecond:F0} | {ef.Stream.RowsPerSecond / ef.Floor.RowsPerSecond:F3} | {ef.Stream.RowsPerSecond / builtIn.Stream.RowsPerSecond:F2} |");

    /// <summary>The median floor and the median stream, each on its own.</summary>
    private static (ReadFigures, ReadFigures) Median(List<(ReadFigures Floor, ReadFigures Stream)> reads)
        => (reads.Select(r => r.Floor).OrderBy(f => f.RowsPerSecond).ElementAt(reads.Count / 2), reads.Select(r => r.Stream).OrderBy(f => f.RowsPerSecond).ElementAt(reads.Count / 2));

    private static Func<ReadFigures> Floor(BenchDatabase database, string sql)
        => database.Postgres is { } postgres ? () => ServerBootstrap.PostgresFloor(postgres, sql) : () => ServerBootstrap.SqliteFloor(database.SqlitePath!, sql);

    private static async Task SeedAsync(HttpClient http, int rows)
    {
        const int perPush = 1_000;
        for (int first = 0; first < rows; first += perPush)
        {
            int count = Math.Min(perPush, rows - first);
            await BenchRequests.PushIssuesAsync(http, "seed", first + 1, Enumerable.Range(first, count).Select(i => BenchRequests.Issue($"i{i}", i)));
        }
    }

    private static async Task AnalyzeAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var analyze = new NpgsqlCommand("ANALYZE", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>One store's server, its reader and its floor.</summary>
    private sealed class Side : IDisposable
    {
        private readonly Func<ReadFigures> _floor;

        public Side(BenchAppServer server, Func<ReadFigures> floor)
        {
            _floor = floor;
            Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
        }

        public HttpClient Http { get; }

        public async Task<(ReadFigures Floor, ReadFigures Stream)> ReadAsync(int rows)
        {
            ReadFigures raw = ServerBootstrap.CheckRows(_floor(), rows);
            ReadFigures stream = await ServerBootstrap.StreamAsync(Http, rows);
            return (raw, stream);
        }

        public void Dispose() => Http.Dispose();
    }
}
