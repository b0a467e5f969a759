using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Tether.Server.PostgreSql;
using Tether.Server.Storage;

namespace Tether.Bench;

/// <summary>
/// The sequencer's ceiling: rows are written to Tether's record table by plain SQL transactions while no sequencer
/// runs (the slot keeps them), then a store's background service starts and the time until the head reaches the last
/// action gives actions/s. The floor is the same rows' own write rate, in the same transactions, measured first.
/// </summary>
internal static class SequencerCeiling
{
    public static async Task RunAsync(string server, int rows, int rowsPerTransaction)
    {
        string name = "tether_bench_seq_" + Guid.NewGuid().ToString("N")[..8];
        string connection = await PostgresLoad.CreateDatabaseAsync(server, name);
        try
        {
            var options = new PostgreSqlStoreOptions { ConnectionString = connection };
            await using var store = new PostgreSqlTetherStore(options);
            await store.InitializeAsync(CancellationToken.None);

            TimeSpan write = await WriteRowsAsync(connection, rows, rowsPerTransaction);
            var clock = Stopwatch.StartNew();
            IHostedService background = store.CreateBackgroundService(new NoSignal(), NullLoggerFactory.Instance);
            await background.StartAsync(CancellationToken.None);
            long head;
            while ((head = await HeadAsync(store)) < rows)
            {
                await Task.Delay(10);
            }
            TimeSpan drain = clock.Elapsed;
            await background.StopAsync(CancellationToken.None);
            (background as IDisposable)?.Dispose();

            double floor = rows / write.TotalSeconds;
            double ceiling = head / drain.TotalSeconds;
            Console.WriteLine($"| {rows:N0} | {rowsPerTransaction} | {floor:F0} | {ceiling:F0} | {ceiling / floor:F2} |");
        }
        finally
        {
            await PostgresLoad.DropDatabaseAsync(server, name);
        }
    }

    private static async Task<TimeSpan> WriteRowsAsync(string connectionString, int rows, int rowsPerTransaction)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO tether_records(model, id, data, groups) " +
            "SELECT 'issue', 'i' || g, '{\"id\":\"i' || g || '\",\"title\":\"' || repeat('x', 150) || '\"}', ARRAY['team:' || (g % 100)] " +
            "FROM generate_series(@from, @to) g", connection);
        insert.Parameters.Add(new NpgsqlParameter<int>("from", 0));
        insert.Parameters.Add(new NpgsqlParameter<int>("to", 0));
        var clock = Stopwatch.StartNew();
        for (int from = 1; from <= rows; from += rowsPerTransaction)
        {
            insert.Parameters[0].Value = from;
            insert.Parameters[1].Value = Math.Min(rows, from + rowsPerTransaction - 1);
            await insert.ExecuteNonQueryAsync();
        }
        return clock.Elapsed;
    }

    private static async Task<long> HeadAsync(PostgreSqlTetherStore store)
    {
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(CancellationToken.None);
        return snapshot.Head;
    }

    private sealed class NoSignal : ITetherCommitSignal
    {
        public void NotifyCommitted()
        {
        }
    }
}
