using Microsoft.Data.Sqlite;
using Tether.Sqlite;

namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// The store's statements other than the records' own (<see cref="RecordStatements"/>), created and prepared once and
/// reused for the connection's life. Transactions are plain BEGIN/COMMIT statements, so the commands need no
/// transaction object assigned per write.
/// </summary>
internal sealed class LocalCommands : SqliteCommandSet
{
    public LocalCommands(SqliteConnection connection)
        : base(connection, prepare: true)
    {
        Begin = Create("BEGIN IMMEDIATE");
        BeginRead = Create("BEGIN DEFERRED");
        Commit = Create("COMMIT");
        Rollback = Create("ROLLBACK");

        ClearRecords = Create("DELETE FROM records");
        AddPending = Create("INSERT INTO pending(id, name, args) VALUES($id, $name, $args)", "$id", "$name", "$args");
        RemovePending = Create("DELETE FROM pending WHERE id = $id", "$id");
        PutMeta = Create(
            "INSERT INTO meta(key, value) VALUES($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            "$key", "$value");

        ReadMeta = Create("SELECT key, value FROM meta");
        ReadPending = Create("SELECT id, name, args FROM pending ORDER BY id");
    }

    public SqliteCommand Begin { get; }
    public SqliteCommand BeginRead { get; }
    public SqliteCommand Commit { get; }
    public SqliteCommand Rollback { get; }
    public SqliteCommand ClearRecords { get; }
    public SqliteCommand AddPending { get; }
    public SqliteCommand RemovePending { get; }
    public SqliteCommand PutMeta { get; }
    public SqliteCommand ReadMeta { get; }
    public SqliteCommand ReadPending { get; }
}
