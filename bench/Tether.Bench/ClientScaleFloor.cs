using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Tether.Bench;

/// <summary>A record as the client holds it: what the raw insert floor writes.</summary>
internal sealed record HeldRecord(string Model, string Id, string Data);

/// <summary>
/// The floor of a client bootstrap into SQLite: the same rows (same ids, same JSON) inserted by one prepared
/// single-row INSERT each into a bare <c>records</c> table keyed like a client store's, in one transaction, WAL,
/// synchronous=FULL. No parsing, no network: what SQLite itself needs for the rows.
/// </summary>
internal static class ClientScaleFloor
{
    public static double InsertsPerSecond(string path, IReadOnlyList<HeldRecord> records)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (SqliteCommand setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE records(model TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY(model, id)) WITHOUT ROWID;";
            setup.ExecuteNonQuery();
        }
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO records(model, id, data) VALUES ($model, $id, $data)";
        SqliteParameter model = insert.Parameters.Add("$model", SqliteType.Text);
        SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
        SqliteParameter data = insert.Parameters.Add("$data", SqliteType.Text);
        var clock = Stopwatch.StartNew();
        using (SqliteTransaction transaction = connection.BeginTransaction())
        {
            insert.Transaction = transaction;
            insert.Prepare();
            foreach (HeldRecord record in records)
            {
                model.Value = record.Model;
                id.Value = record.Id;
                data.Value = record.Data;
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        return records.Count / clock.Elapsed.TotalSeconds;
    }
}
