using System.Globalization;
using Npgsql;

namespace Tether.Bench;

/// <summary>Issue 15's figures on the PostgreSQL server of <c>TETHER_POSTGRES</c>, each part against a floor of the
/// same run: durable pushes/s by nodes and clients (floor: raw single-row commits/s), commit-to-live-client latency,
/// and nodes pinned to cores pushing a CPU-bound mutator (floor: the mutator's spin alone on one core).</summary>
internal static class PostgresScenarios
{
    public const double LatencyRate = 200;
    public const int BurnClients = 64;

    public static string Server()
        => Environment.GetEnvironmentVariable("TETHER_POSTGRES")
            ?? throw new InvalidOperationException("Set TETHER_POSTGRES to a PostgreSQL server (e.g. Host=127.0.0.1;Port=54329;Username=tether;Database=postgres).");

    /// <summary><paramref name="parts"/>: push, latency, burn.</summary>
    public static async Task RunAsync(string directory, IReadOnlySet<string> parts, TimeSpan duration, int[] clientCounts, int writers)
    {
        string server = Server();
        Console.WriteLine($"PostgreSQL: {await SettingsAsync(server)}; load average at start {ClientScale.LoadAverage()}; writers per node asked: {writers}");
        if (parts.Contains("push"))
        {
            await PushesAsync(server, directory, duration, clientCounts, writers);
        }
        if (parts.Contains("latency"))
        {
            await LatencyAsync(server, directory, duration, writers);
        }
        if (parts.Contains("burn"))
        {
            await BurnAsync(server, duration, writers);
        }
        Console.WriteLine($"load average at end {ClientScale.LoadAverage()}");
    }

    private static async Task PushesAsync(string server, string directory, TimeSpan duration, int[] clientCounts, int writers)
    {
        double raw = await InFreshDatabaseAsync(server, db => PostgresLoad.RawCommitsPerSecondAsync(db, duration));
        Console.WriteLine();
        Console.WriteLine($"Floor: raw single-row INSERT commits/s (autocommit, one connection): {raw:F0}");
        Console.WriteLine("| nodes | clients | users | writers per node | durable pushes/s | x raw commit rate | mutations per commit | commit conflicts | per 1,000 pushes | 503 answers |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        bool first = true;
        foreach (bool userPerClient in new[] { true, false })
        {
            foreach (int nodes in new[] { 1, 2, 3 })
            {
                foreach (int clients in clientCounts)
                {
                    TimeSpan warmUp = first ? PostgresLoad.FirstWarmUp : PostgresLoad.WarmUp;
                    first = false;
                    (PushFigures f, int running) = await InFreshDatabaseAsync(server, db => PostgresLoad.PushesAsync(db, directory, nodes, clients, userPerClient, writers, warmUp, duration));
                    Console.WriteLine($"| {nodes} | {clients} | {(userPerClient ? clients : 1)} | {running} | {f.PushesPerSecond:F0} | {f.PushesPerSecond / raw:F2} | {f.MutationsPerCommit:F1} | {f.Conflicts} | {1000.0 * f.Conflicts / Math.Max(1, f.Pushes):F1} | {f.Unavailable} |");
                }
            }
        }
    }

    private static async Task LatencyAsync(string server, string directory, TimeSpan duration, int writers)
    {
        LatencyFigures f = await InFreshDatabaseAsync(server, db => LiveLatency.RunAsync(db, directory, writers, LatencyRate, duration));
        Console.WriteLine();
        Console.WriteLine($"Commit-to-live-client latency: {LatencyRate:F0} createIssue pushes/s asked over 2 nodes, each timed by the live client of the other node (ms).");
        Console.WriteLine("| pushes/s | pushes timed | not received | push answered p50 | p99 | live frame p50 | p99 | max | sequencer delay p50 | p99 | transactions sequenced |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {f.Rate:F0} | {f.Pushes} | {f.Missing} | {f.PushP50:F1} | {f.PushP99:F1} | {f.LiveP50:F1} | {f.LiveP99:F1} | {f.LiveMax:F1} | {f.SequencerP50:F1} | {f.SequencerP99:F1} | {f.SequencerRounds} |");
    }

    private static async Task BurnAsync(string server, TimeSpan duration, int writers)
    {
        double floor = await BurnLoad.FloorAsync(core: 0, duration);
        double floor1 = await BurnLoad.FloorAsync(core: 1, duration);
        Console.WriteLine();
        Console.WriteLine($"Floor: the 1 ms spin back to back in a process pinned to core 0: {floor:F0}/s (pinned to core 1: {floor1:F0}/s)");
        Console.WriteLine($"| nodes | cores | writers per node | clients | burn pushes/s | x floor | x 1 node | mutations per commit | commit conflicts | 503 answers | CPU ms per push: nodes / load generator / PostgreSQL |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        double? one = null;
        foreach (int[] cores in new[] { new[] { 0 }, new[] { 0, 1 } })
        {
            BurnFigures f = await InFreshDatabaseAsync(server, db => BurnLoad.RunAsync(db, cores, BurnClients, writers, duration));
            one ??= f.Push.PushesPerSecond;
            Console.WriteLine($"| {cores.Length} | {f.Cores} | {f.Writers} | {BurnClients} | {f.Push.PushesPerSecond:F0} | {f.Push.PushesPerSecond / floor:F2} | {f.Push.PushesPerSecond / one:F2} | {f.Push.MutationsPerCommit:F1} | {f.Push.Conflicts} | {f.Push.Unavailable} | {f.Cpu.Nodes:F2} / {f.Cpu.LoadGenerator:F2} / {f.Cpu.PostgreSql:F2} |");
        }
    }

    private static async Task<T> InFreshDatabaseAsync<T>(string server, Func<string, Task<T>> run)
    {
        string name = "tether_bench_" + Guid.NewGuid().ToString("N")[..8];
        string connection = await PostgresLoad.CreateDatabaseAsync(server, name);
        try
        {
            return await run(connection);
        }
        finally
        {
            await PostgresLoad.DropDatabaseAsync(server, name);
        }
    }

    private static async Task<string> SettingsAsync(string server)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('wal_level'), current_setting('max_pred_locks_per_transaction'), current_setting('max_connections')", connection);
        await using NpgsqlDataReader reader = await show.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)}, fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, wal_level={reader.GetString(3)}, max_pred_locks_per_transaction={reader.GetString(4)}, max_connections={reader.GetString(5)}");
    }
}
