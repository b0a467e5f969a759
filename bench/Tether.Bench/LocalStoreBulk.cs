using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Tether.Client;
using Tether.Client.Sqlite;

namespace Tether.Bench;

/// <summary>
/// The SQLite local store alone, without server or network: a bootstrap's rows (model "issue", ids "i0".."i{n-1}",
/// about 250 B of JSON each) written as one <see cref="LocalWrite"/> and as a bulk write in chunks of 1,000, then
/// loaded back; against a floor measured in the same round: prepared single-row INSERTs of the same rows into a table
/// of the store's schema, in one transaction on a fresh file with the store's pragmas. Every write goes to a new file.
/// </summary>
internal static class LocalStoreBulk
{
    public const int ChunkRows = 1_000;

    public static async Task RunAsync(string directory, int rows, int rounds)
    {
        // A small unreported round first, so no figure includes compiling the code it runs.
        LocalRecordChange[] warmUp = Rows(Math.Min(rows, 5_000));
        Floor(Path.Combine(directory, "warm-floor.db"), warmUp);
        await OneWriteAsync(Path.Combine(directory, "warm-write.db"), warmUp);
        await BulkAndLoadAsync(Path.Combine(directory, "warm-bulk.db"), warmUp);

        LocalRecordChange[] records = Rows(rows);
        double bytes = records.Average(r => r.Data!.Length);
        Console.WriteLine($"Local store: {rows} issues of {bytes:F0} B JSON each; rows/s, each write on a fresh file (WAL, synchronous=FULL).");
        Console.WriteLine("Each figure: rows/s of wall time (rows per second of this process's CPU time, which other load on the machine disturbs less).");
        Console.WriteLine("| round | floor: raw single-row INSERTs | WriteAsync, one write | x floor | bulk write, chunks of 1,000 | x floor | LoadAsync | load average |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|");
        for (int round = 1; round <= rounds; round++)
        {
            Rate floor = Floor(Path.Combine(directory, $"floor-{round}.db"), records);
            Rate oneWrite = await OneWriteAsync(Path.Combine(directory, $"write-{round}.db"), records);
            (Rate bulk, Rate load) = await BulkAndLoadAsync(Path.Combine(directory, $"bulk-{round}.db"), records);
            string loadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "-";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {round} | {floor} | {oneWrite} | {oneWrite.Over(floor)} | {bulk} | {bulk.Over(floor)} | {load} | {loadAverage} |"));
        }
    }

    /// <summary>Rows per second of wall time and per second of this process's CPU time.</summary>
    private readonly record struct Rate(double Wall, double Cpu)
    {
        public string Over(Rate floor) => string.Create(CultureInfo.InvariantCulture, $"{Wall / floor.Wall:F2} ({Cpu / floor.Cpu:F2})");

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Wall:F0} ({Cpu:F0})");
    }

    /// <summary>Times one phase on the wall clock and on this process's CPU clock.</summary>
    private sealed class Clock
    {
        private readonly TimeSpan _cpu;
        private readonly Stopwatch _wall;

        private Clock()
        {
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _wall = Stopwatch.StartNew();
        }

        /// <summary>Starts timing after a full collection, so no phase pays for the garbage of the one before.</summary>
        public static Clock Start()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return new Clock();
        }

        public Rate Rate(int rows) =>
            new(rows / _wall.Elapsed.TotalSeconds, rows / (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds);
    }

    private static LocalRecordChange[] Rows(int rows)
    {
        var records = new LocalRecordChange[rows];
        for (int i = 0; i < rows; i++)
        {
            string id = "i" + i.ToString(CultureInfo.InvariantCulture);
            records[i] = new LocalRecordChange("issue", id,
                $$"""{"id":"{{id}}","projectId":"p","teamId":"t","title":"Issue number {{i}}","description":"A description of moderate length, as issues have; a sentence or two about what is wrong.","status":"todo","createdBy":"bench","createdAt":"2025-01-01T00:00:00.000Z"}""");
        }
        return records;
    }

    private static LocalWrite Last(int rows) => new()
    {
        Metadata = new LocalMetadata { ClientId = "bench", UserId = "bench", FirstSyncId = rows, LastSyncId = rows, SyncGroups = ["team:t"] },
    };

    private static Rate Floor(string path, LocalRecordChange[] records)
    {
        using SqliteConnection connection = RawRecords.Create(path);
        var clock = Clock.Start();
        RawRecords.InsertAll(connection, records.Select(r => (r.ModelName, r.Id, r.Data!)));
        return clock.Rate(records.Length);
    }

    private static async Task<Rate> OneWriteAsync(string path, LocalRecordChange[] records)
    {
        await using SqliteLocalStore store = await SqliteLocalStore.OpenAsync(path);
        var clock = Clock.Start();
        await store.WriteAsync(Last(records.Length) with { ClearRecords = true, Records = records }, CancellationToken.None);
        return clock.Rate(records.Length);
    }

    private static async Task<(Rate Bulk, Rate Load)> BulkAndLoadAsync(string path, LocalRecordChange[] records)
    {
        // Through the interface, as the client calls it.
        await using ILocalStore store = await SqliteLocalStore.OpenAsync(path);
        var clock = Clock.Start();
        await using (ILocalBulkWrite bulk = await store.BeginBulkWriteAsync(clearRecords: true, CancellationToken.None))
        {
            for (int start = 0; start < records.Length; start += ChunkRows)
            {
                await bulk.AddAsync(new ArraySegment<LocalRecordChange>(records, start, Math.Min(ChunkRows, records.Length - start)), CancellationToken.None);
            }
            await bulk.CommitAsync(Last(records.Length), CancellationToken.None);
        }
        Rate bulkRate = clock.Rate(records.Length);

        clock = Clock.Start();
        LocalSnapshot snapshot = await store.LoadAsync(CancellationToken.None);
        Rate loadRate = clock.Rate(snapshot.Records.Count);
        if (snapshot.Records.Count != records.Length)
        {
            throw new InvalidOperationException($"The store loaded {snapshot.Records.Count} records, not {records.Length}.");
        }
        return (bulkRate, loadRate);
    }
}
