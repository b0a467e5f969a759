using System.Diagnostics;
using Npgsql;

namespace Tether.Bench;

/// <summary>Durable pushes/s on PostgreSQL with one and two server nodes, against a raw single-row INSERT commit
/// rate measured on the same server in the same run. Each run gets a fresh database.</summary>
internal static class PostgresLoad
{
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

    public static async Task<PushFigures> PushesAsync(string connectionString, string directory, int nodes, int clients, TimeSpan duration)
    {
        var servers = new List<LoopbackServer>();
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                servers.Add(await LoopbackServer.StartAsync(Path.Combine(directory, $"unused-{i}.db"), connectionString));
            }
            return await PushLoad.RunAsync([.. servers.Select(s => s.Address)], clients, duration);
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

    public static async Task DropDatabaseAsync(string serverConnection, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(serverConnection);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
