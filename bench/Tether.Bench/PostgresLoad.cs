using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tether.Server.PostgreSql;

namespace Tether.Bench;

/// <summary>Durable pushes/s on PostgreSQL with one to three server nodes, against a raw single-row INSERT commit
/// rate measured on the same server in the same run. Each run gets a fresh database.</summary>
internal static class PostgresLoad
{
    /// <summary>Long enough for the JIT's tiering to settle: in the first loaded seconds of a process it compiles
    /// for up to most of a core (dotnet.jit.compilation.time, measured with dotnet-counters: 0.2 to 0.8 s per second
    /// for about 15 s), which is not the server's steady state.</summary>
    public static readonly TimeSpan FirstWarmUp = TimeSpan.FromSeconds(15);

    /// <summary>Once the process is warm, new nodes only need their connections and caches.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static async Task<double> RawCommitsPerSecondAsync(string connectionString, TimeSpan duration)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE bench_raw(id bigserial PRIMARY KEY, payload text NOT NULL)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var insert = new NpgsqlCommand("INSERT INTO bench_raw(payload) VALUES (@payload)", connection);
        insert.Parameters.AddWithValue("payload", new string('x', 200));
        await insert.PrepareAsync();
        long commits = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            // Autocommit: each INSERT is its own durable commit, as each push of one client is.
            await insert.ExecuteNonQueryAsync();
            commits++;
        }
        return commits / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Durable pushes/s of <c>createIssue</c> through <paramref name="nodes"/> nodes in this process (by one
    /// user's clients, or <paramref name="userPerClient"/> each client a user of its own), each
    /// with <paramref name="writers"/> write transactions at once, after an uncounted <paramref name="warmUp"/>. Returns the writers
    /// per node the store says it runs.</summary>
    public static async Task<(PushFigures Figures, int Writers)> PushesAsync(string connectionString, string directory, int nodes, int clients, bool userPerClient, int writers, TimeSpan warmUp, TimeSpan duration)
    {
        var servers = new List<LoopbackServer>();
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                servers.Add(await LoopbackServer.StartAsync(Path.Combine(directory, $"unused-{i}.db"), connectionString, postgresWriters: writers));
            }
            int running = servers[0].Services.GetRequiredService<PostgreSqlTetherStore>().Writers;
            using var meters = new BenchMeters();
            using var https = new LoadClients([.. servers.Select(s => s.Address)], clients, userPerClient);
            string run = Guid.NewGuid().ToString("N")[..8];
            await PushLoad.SetUpAsync(https, run);
            await https.RunAsync(clients, warmUp, (http, c, id) => PushLoad.PushAsync(http, $"warm-{run}-{c}", id, "createIssue", PushLoad.Issue(run, PushLoad.RandomId())));
            return (await PushLoad.RunAsync(https, meters, run, clients, duration, "createIssue", (_, _) => PushLoad.RandomId()), running);
        }
        finally
        {
            foreach (LoopbackServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh database on the server of <paramref name="serverConnection"/>; dropped by the caller.</summary>
    public static async Task<string> CreateDatabaseAsync(string serverConnection, string name)
    {
        await using var connection = new NpgsqlConnection(serverConnection);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(serverConnection) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database and its replication slot. FORCE ends client backends but not a walsender on the
    /// database's slot (55006), so any is ended first; a node still stopping may take the slot again in between, so
    /// the pair is tried a few times.</summary>
    public static async Task DropDatabaseAsync(string serverConnection, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(serverConnection);
        await connection.OpenAsync();
        for (int attempt = 1; ; attempt++)
        {
            await using (var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots WHERE database = @database AND active_pid IS NOT NULL", connection))
            {
                terminate.Parameters.AddWithValue("database", name);
                await terminate.ExecuteNonQueryAsync();
            }
            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 5)
            {
            }
        }
    }
}
