using System.Globalization;
using Tether.Bench.EfApp;

namespace Tether.Bench;

/// <summary>
/// The figures of issue 14 (an app's own EF Core tables as Tether's store), each against the built-in JSON store in
/// the same run: durable pushes/s of <c>createIssue</c>, the app's own SaveChanges/s with the capture on and off, and
/// eager bootstrap rows/s. SQLite, or PostgreSQL at <c>TETHER_POSTGRES</c>.
/// </summary>
internal static class EfScenarios
{
    private static readonly BenchStore[] PushStores = [BenchStore.BuiltIn, BenchStore.EntityFramework];

    /// <summary>Durable pushes/s on each store at each client count, a fresh database for each run; which store goes
    /// first alternates from one client count to the next.</summary>
    public static async Task PushAsync(string directory, string? postgres, TimeSpan duration, int[] clientCounts)
    {
        string provider = postgres is null ? "SQLite" : "PostgreSQL";
        Console.WriteLine($"ef-push on {provider}, {duration.TotalSeconds:0.#} s per run; load average at start {ClientScale.LoadAverage()}");
        double floor = await RawCommitsPerSecondAsync(directory, postgres, duration);
        Console.WriteLine($"Floor: raw single-row INSERT commits/s ({(postgres is null ? "WAL, synchronous=FULL" : "autocommit, fsync on")}): {floor:F0}");
        foreach (BenchStore store in PushStores)
        {
            // The process's own first run of each store (JIT): not a figure.
            await EfPushLoad.PushesAsync(directory, postgres, store, 8, TimeSpan.FromSeconds(1));
        }
        Console.WriteLine();
        Console.WriteLine("| clients | first | built-in pushes/s | EF pushes/s | EF / built-in | built-in x raw commit | EF x raw commit | mutations per commit (built-in / EF) |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < clientCounts.Length; i++)
        {
            int clients = clientCounts[i];
            var figures = new Dictionary<BenchStore, PushFigures>();
            foreach (BenchStore store in i % 2 == 0 ? PushStores : PushStores.Reverse())
            {
                figures[store] = await EfPushLoad.PushesAsync(directory, postgres, store, clients, duration);
            }
            PushFigures builtIn = figures[BenchStore.BuiltIn];
            PushFigures ef = figures[BenchStore.EntityFramework];
            Console.WriteLine($"| {clients} | {(i % 2 == 0 ? "built-in" : "EF")} | {builtIn.PushesPerSecond:F0} | {ef.PushesPerSecond:F0} | {ef.PushesPerSecond / builtIn.PushesPerSecond:F2} | {builtIn.PushesPerSecond / floor:F2} | {ef.PushesPerSecond / floor:F2} | {builtIn.MutationsPerCommit:F1} / {ef.MutationsPerCommit:F1} |");
        }
        Console.WriteLine($"Load average at end {ClientScale.LoadAverage()}");
    }

    /// <summary>At each client count, in turn (the first of the three rotating): the built-in store's durable pushes
    /// of the issue, and the app's own endpoint's SaveChanges of the same issue with the capture on and off.</summary>
    public static async Task SaveChangesAsync(string directory, string? postgres, TimeSpan duration, int[] clientCounts)
    {
        string provider = postgres is null ? "SQLite" : "PostgreSQL";
        Console.WriteLine($"ef-savechanges on {provider}, {duration.TotalSeconds:0.#} s per run; load average at start {ClientScale.LoadAverage()}");
        double floor = await RawCommitsPerSecondAsync(directory, postgres, duration);
        Console.WriteLine($"Floor: raw single-row INSERT commits/s ({(postgres is null ? "WAL, synchronous=FULL" : "autocommit, fsync on")}): {floor:F0}");
        await using (BenchDatabase database = await BenchDatabase.CreateAsync(directory, postgres))
        await using (BenchAppServer server = await BenchAppServer.StartAsync(BenchStore.EntityFramework, database))
        {
            Console.WriteLine($"The app's own connections: {await server.AppDurabilityAsync()}");
        }
        BenchStore[] stores = [BenchStore.BuiltIn, BenchStore.EntityFramework, BenchStore.EntityFrameworkWithoutCapture];
        await EfPushLoad.PushesAsync(directory, postgres, BenchStore.BuiltIn, 8, TimeSpan.FromSeconds(1));
        await EfPushLoad.SavesAsync(directory, postgres, BenchStore.EntityFramework, 8, TimeSpan.FromSeconds(1));
        await EfPushLoad.SavesAsync(directory, postgres, BenchStore.EntityFrameworkWithoutCapture, 8, TimeSpan.FromSeconds(1));
        Console.WriteLine();
        Console.WriteLine("| clients | first | built-in pushes/s | SaveChanges/s, captured | SaveChanges/s, not captured | captured / not captured | captured / built-in pushes | captured x raw commit |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        for (int i = 0; i < clientCounts.Length; i++)
        {
            int clients = clientCounts[i];
            var rates = new Dictionary<BenchStore, double>();
            foreach (BenchStore store in stores.Skip(i % 3).Concat(stores.Take(i % 3)))
            {
                rates[store] = store == BenchStore.BuiltIn
                    ? (await EfPushLoad.PushesAsync(directory, postgres, store, clients, duration)).PushesPerSecond
                    : (await EfPushLoad.SavesAsync(directory, postgres, store, clients, duration)).SavesPerSecond;
            }
            double pushes = rates[BenchStore.BuiltIn];
            double captured = rates[BenchStore.EntityFramework];
            double bare = rates[BenchStore.EntityFrameworkWithoutCapture];
            Console.WriteLine($"| {clients} | {BenchAppServer.Label(stores[i % 3])} | {pushes:F0} | {captured:F0} | {bare:F0} | {captured / bare:F2} | {captured / pushes:F2} | {captured / floor:F2} |");
        }
        Console.WriteLine($"Load average at end {ClientScale.LoadAverage()}");
    }

    /// <summary>Eager bootstrap rows/s from the app's table and from the built-in store.</summary>
    public static async Task BootstrapAsync(string directory, string? postgres, int rows, bool teamIdIndex)
    {
        Console.WriteLine($"ef-bootstrap on {(postgres is null ? "SQLite" : "PostgreSQL")}; load average at start {ClientScale.LoadAverage()}");
        await EfBootstrap.RunAsync(directory, postgres, rows, teamIdIndex, ServerBootstrap.Rounds);
        Console.WriteLine($"Load average at end {ClientScale.LoadAverage()}");
    }

    /// <summary>Single-row INSERTs, each its own durable commit, on the same disk (SQLite) or server (PostgreSQL).</summary>
    private static async Task<double> RawCommitsPerSecondAsync(string directory, string? postgres, TimeSpan duration)
    {
        if (postgres is null)
        {
            return RawSqlite.CommitsPerSecond(directory, duration);
        }
        string name = "tether_bench_raw_" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            return await PostgresLoad.RawCommitsPerSecondAsync(await PostgresLoad.CreateDatabaseAsync(postgres, name), duration);
        }
        finally
        {
            await PostgresLoad.DropDatabaseAsync(postgres, name);
        }
    }

    public static int[] ClientCounts(string[] args, int index) =>
        args.Length > index ? [.. args[index].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))] : [1, 8, 32, 64];
}
