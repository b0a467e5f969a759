using System.Globalization;
using Tether.Bench;

// Usage: dotnet run -c Release --project bench/Tether.Bench -- [seconds per run] [client counts, comma-separated]
double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
int[] clientCounts = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse)] : [1, 8, 32, 64];
TimeSpan duration = TimeSpan.FromSeconds(seconds);
string directory = Path.Combine(Path.GetTempPath(), "tether-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
try
{
    double rawCommits = RawSqlite.CommitsPerSecond(directory, duration);
    double rawInserts = RawSqlite.InsertsPerSecond(directory, 200_000);
    Console.WriteLine($"Floors on this machine (SQLite WAL, synchronous=FULL):");
    Console.WriteLine($"  raw single-row commits/s: {rawCommits:F0}");
    Console.WriteLine($"  raw inserts/s in one transaction: {rawInserts:F0}");
    Console.WriteLine();
    Console.WriteLine("| clients | durable pushes/s | x raw commit rate | mutations per commit |");
    Console.WriteLine("|---:|---:|---:|---:|");
    foreach (int clients in clientCounts)
    {
        PushFigures figures = await PushLoad.RunAsync(directory, clients, duration);
        Console.WriteLine($"| {clients} | {figures.PushesPerSecond:F0} | {figures.PushesPerSecond / rawCommits:F2} | {figures.MutationsPerCommit:F1} |");
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
}
