using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Tether.Bench;

/// <summary>The floors: what SQLite itself does on this machine with the settings Tether uses (WAL, synchronous=FULL).</summary>
internal static class RawSqlite
{
    /// <summary>Single-row INSERT, one durable COMMIT each: the fsync-bound rate no one-commit-per-push design can beat.</summary>
    public static double CommitsPerSecond(string directory, TimeSpan duration)
    {
        using SqliteConnection connection = Open(Path.Combine(directory, "raw-commit.db"));
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO t(v) VALUES ($v)";
        SqliteParameter value = insert.Parameters.Add("$v", SqliteType.Text);
        insert.Prepare();
        long count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            value.Value = "row " + count;
            insert.ExecuteNonQuery();
            transaction.Commit();
            count++;
        }
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Rows inserted per second inside one transaction: the CPU-bound insert rate.</summary>
    public static double InsertsPerSecond(string directory, int rows)
    {
        using SqliteConnection connection = Open(Path.Combine(directory, "raw-insert.db"));
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO t(v) VALUES ($v)";
        SqliteParameter value = insert.Parameters.Add("$v", SqliteType.Text);
        var clock = Stopwatch.StartNew();
        using (SqliteTransaction transaction = connection.BeginTransaction())
        {
            insert.Transaction = transaction;
            insert.Prepare();
            for (int i = 0; i < rows; i++)
            {
                value.Value = "row " + i;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        return rows / clock.Elapsed.TotalSeconds;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);";
        setup.ExecuteNonQuery();
        return connection;
    }
}
