using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Tether.Bench;

/// <summary>The figures of one read of the records: the bootstrap stream, or its floor.</summary>
internal sealed record ReadFigures(long Rows, long Bytes, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
    public double MebibytesPerSecond => Bytes / Seconds / (1024 * 1024);
}

/// <summary>
/// The server's side of a bootstrap: a server filled with <c>rows</c> issues streams <c>POST /sync/bootstrap</c>
/// (eager) to a bare HTTP reader that counts bytes and lines without parsing them. The floor is a raw read of the
/// same records from the server's own store, in the order the stream needs (model, id), taking the bytes of model,
/// id and data and nothing else. Stream and floor alternate, so both see the same load.
/// </summary>
internal static class ServerBootstrap
{
    public const int Rounds = 5;

    public static async Task RunAsync(string directory, int rows, string? postgres)
    {
        string database = "tether_bench_bootstrap_" + Guid.NewGuid().ToString("N")[..8];
        string? connection = postgres is null ? null : await PostgresLoad.CreateDatabaseAsync(postgres, database);
        try
        {
            string file = Path.Combine(directory, "server-bootstrap.db");
            await using LoopbackServer server = await LoopbackServer.StartAsync(file, connection);
            using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
            await IssueSeeding.SeedAsync(http, rows);
            int expected = IssueSeeding.RecordCount(rows);
            Func<ReadFigures> floor = connection is null ? () => SqliteFloor(file) : () => PostgresFloor(connection);

            // One unrecorded round first: JIT, the server's statement caches and the page cache.
            CheckRows(floor(), expected);
            await StreamAsync(http, expected);

            Console.WriteLine($"Server bootstrap stream of {rows} issues ({expected} records) on {(connection is null ? "SQLite" : "PostgreSQL")} to a bare reader, {Rounds} rounds, floor and stream alternating.");
            Console.WriteLine("| round | floor rows/s | stream rows/s | stream MiB/s | x floor |");
            Console.WriteLine("|---:|---:|---:|---:|---:|");
            var floors = new List<double>();
            var streams = new List<ReadFigures>();
            for (int round = 1; round <= Rounds; round++)
            {
                ReadFigures raw = CheckRows(floor(), expected);
                ReadFigures stream = await StreamAsync(http, expected);
                floors.Add(raw.RowsPerSecond);
                streams.Add(stream);
                Console.WriteLine($"| {round} | {raw.RowsPerSecond:F0} | {stream.RowsPerSecond:F0} | {stream.MebibytesPerSecond:F1} | {stream.RowsPerSecond / raw.RowsPerSecond:F3} |");
            }
            double floorMedian = Median(floors);
            ReadFigures median = streams.OrderBy(s => s.RowsPerSecond).ElementAt(Rounds / 2);
            Console.WriteLine($"| median | {floorMedian:F0} | {median.RowsPerSecond:F0} | {median.MebibytesPerSecond:F1} | {median.RowsPerSecond / floorMedian:F3} |");
            Console.WriteLine($"Stream size: {median.Bytes / (1024.0 * 1024.0):F1} MiB.");
        }
        finally
        {
            if (postgres is not null)
            {
                await PostgresLoad.DropDatabaseAsync(postgres, database);
            }
        }
    }

    /// <summary>Reads the whole bootstrap response; rows are the lines' records, taken from the end line's count,
    /// which is checked against what was seeded.</summary>
    private static async Task<ReadFigures> StreamAsync(HttpClient http, int expected)
    {
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sync/bootstrap") { Content = new StringContent("""{"type":"eager"}""", Encoding.UTF8, "application/json") };
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using Stream body = await response.Content.ReadAsStreamAsync();
        byte[] buffer = new byte[64 * 1024];
        // The end of the stream, kept across reads: the end line is short and last.
        byte[] tail = new byte[128];
        int tailLength = 0;
        long bytes = 0;
        long lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            int keep = Math.Min(tailLength, tail.Length - Math.Min(read, tail.Length));
            tail.AsSpan(tailLength - keep, keep).CopyTo(tail);
            int take = Math.Min(read, tail.Length);
            buffer.AsSpan(read - take, take).CopyTo(tail.AsSpan(keep));
            tailLength = keep + take;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        string end = Encoding.UTF8.GetString(tail, 0, tailLength);
        if (!end.Contains($"\"rowCount\":{expected}", StringComparison.Ordinal) || lines < 3)
        {
            throw new InvalidOperationException($"The bootstrap did not end with {expected} rows ({lines} lines).");
        }
        return new ReadFigures(expected, bytes, seconds);
    }

    private static ReadFigures SqliteFloor(string file)
    {
        var clock = Stopwatch.StartNew();
        using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        connection.Open();
        long rows = 0;
        long bytes = 0;
        int status = raw.sqlite3_prepare_v2(connection.Handle, "SELECT model, id, data FROM tether_records ORDER BY model, id", out sqlite3_stmt statement);
        if (status != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite error {status}.");
        }
        using (statement)
        {
            while (raw.sqlite3_step(statement) == raw.SQLITE_ROW)
            {
                bytes += raw.sqlite3_column_blob(statement, 0).Length + raw.sqlite3_column_blob(statement, 1).Length + raw.sqlite3_column_blob(statement, 2).Length;
                rows++;
            }
        }
        return new ReadFigures(rows, bytes, clock.Elapsed.TotalSeconds);
    }

    private static ReadFigures PostgresFloor(string connectionString)
    {
        var clock = Stopwatch.StartNew();
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT model, id, data FROM tether_records ORDER BY model, id", connection);
        using NpgsqlDataReader reader = command.ExecuteReader(System.Data.CommandBehavior.SequentialAccess);
        long rows = 0;
        long bytes = 0;
        byte[] buffer = new byte[64 * 1024];
        while (reader.Read())
        {
            for (int column = 0; column < 3; column++)
            {
                using Stream value = reader.GetStream(column);
                int read;
                while ((read = value.Read(buffer)) > 0)
                {
                    bytes += read;
                }
            }
            rows++;
        }
        return new ReadFigures(rows, bytes, clock.Elapsed.TotalSeconds);
    }

    private static ReadFigures CheckRows(ReadFigures floor, int expected) =>
        floor.Rows == expected ? floor : throw new InvalidOperationException($"The floor read {floor.Rows} records, not {expected}.");

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
