using Microsoft.Data.Sqlite;

namespace Tether.Bench;

/// <summary>The floor of writing records to SQLite: a bare <c>records</c> table keyed like a client store's, WAL,
/// synchronous=FULL, one prepared single-row INSERT per record, all in one transaction. No parsing, no network.</summary>
internal static class RawRecords
{
    public static SqliteConnection Create(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; " +
            "CREATE TABLE records(model TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY(model, id)) WITHOUT ROWID;";
        setup.ExecuteNonQuery();
        return connection;
    }

    public static void InsertAll(SqliteConnection connection, IEnumerable<(string Model, string Id, string Data)> records)
    {
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO records(model, id, data) VALUES ($model, $id, $data)";
        SqliteParameter model = insert.Parameters.Add("$model", SqliteType.Text);
        SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
        SqliteParameter data = insert.Parameters.Add("$data", SqliteType.Text);
        using SqliteTransaction transaction = connection.BeginTransaction();
        insert.Transaction = transaction;
        insert.Prepare();
        foreach ((string Model, string Id, string Data) record in records)
        {
            model.Value = record.Model;
            id.Value = record.Id;
            data.Value = record.Data;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}
