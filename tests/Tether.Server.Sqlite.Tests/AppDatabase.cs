using System.Text;
using Microsoft.Data.Sqlite;

namespace Tether.Server.Sqlite.Tests;

/// <summary>An app's own database, as the store finds it when it is added to an existing app: tables named like the
/// store's unprefixed ones, with rows, an AUTOINCREMENT table in sqlite_sequence, and a user_version of the app's.</summary>
public static class AppDatabase
{
    public const long UserVersion = 7;

    /// <summary>Creates the app's schema and rows in the file at <paramref name="path"/> (and its directory).</summary>
    public static void Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText =
            """
            CREATE TABLE records(id INTEGER PRIMARY KEY, title TEXT NOT NULL);
            INSERT INTO records(id, title) VALUES(1, 'the app''s record'), (2, 'another');
            CREATE TABLE actions(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
            INSERT INTO actions(id, name) VALUES(42, 'the app''s action');
            CREATE TABLE groups(name TEXT PRIMARY KEY) WITHOUT ROWID;
            INSERT INTO groups(name) VALUES('admins');
            CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
            INSERT INTO meta(key, value) VALUES('horizon', 'the app''s own horizon');
            CREATE TABLE clients(client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_mutation_id INTEGER NOT NULL);
            INSERT INTO clients VALUES('c1', 'app-user', 99);
            CREATE INDEX record_groups_by_group ON records(title);
            CREATE VIEW record_titles AS SELECT title FROM records;
            """ + $"PRAGMA user_version = {UserVersion};";
        command.ExecuteNonQuery();
    }

    /// <summary>Everything of the database that is not Tether's, as text: the app's entries of sqlite_master, the
    /// rows of each of its tables (sqlite_sequence included) and user_version.</summary>
    public static string Describe(string path)
    {
        using var connection = Open(path);
        var text = new StringBuilder();
        var tables = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'tether\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'tether\\_%' ESCAPE '\\' ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                text.AppendLine($"{reader.GetString(0)} {reader.GetString(1)} on {reader.GetString(2)}: {(reader.IsDBNull(3) ? "" : reader.GetString(3))}");
                if (reader.GetString(0) == "table")
                {
                    tables.Add(reader.GetString(1));
                }
            }
        }

        foreach (var table in tables)
        {
            using var command = connection.CreateCommand();
            command.CommandText = table == "sqlite_sequence"
                ? "SELECT name, seq FROM sqlite_sequence WHERE name NOT LIKE 'tether\\_%' ESCAPE '\\' ORDER BY name"
                : $"SELECT * FROM \"{table}\" ORDER BY 1";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                text.AppendLine($"{table}: {string.Join(" | ", values)}");
            }
        }

        text.AppendLine($"user_version {StoreHarness.Scalar(connection, "PRAGMA user_version;")}");
        return text.ToString();
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
