using Microsoft.Data.Sqlite;
using Tether.Sqlite;

namespace Tether.Client.Sqlite.Internal;

/// <summary>
/// The store's statements, created and prepared once and reused for the connection's life: a write binds values to
/// compiled statements instead of compiling SQL per row. Transactions are plain BEGIN/COMMIT statements, so the
/// commands need no transaction object assigned per write.
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
        PutRecord = Create(
            "INSERT INTO records(model, id, data) VALUES($model, $id, $data) " +
            "ON CONFLICT(model, id) DO UPDATE SET data = excluded.data",
            "$model", "$id", "$data");
        DeleteRecord = Create("DELETE FROM records WHERE model = $model AND id = $id", "$model", "$id");
        AddPending = Create("INSERT INTO pending(id, name, args) VALUES($id, $name, $args)", "$id", "$name", "$args");
        RemovePending = Create("DELETE FROM pending WHERE id = $id", "$id");
        PutMeta = Create(
            "INSERT INTO meta(key, value) VALUES($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            "$key", "$value");

        ReadMeta = Create("SELECT key, value FROM meta");
        ReadRecords = Create("SELECT model, id, data FROM records ORDER BY model, id");
        ReadPending = Create("SELECT id, name, args FROM pending ORDER BY id");
    }

    public SqliteCommand Begin { get; }
    public SqliteCommand BeginRead { get; }
    public SqliteCommand Commit { get; }
    public SqliteCommand Rollback { get; }
    public SqliteCommand ClearRecords { get; }
    public SqliteCommand PutRecord { get; }
    public SqliteCommand DeleteRecord { get; }
    public SqliteCommand AddPending { get; }
    public SqliteCommand RemovePending { get; }
    public SqliteCommand PutMeta { get; }
    public SqliteCommand ReadMeta { get; }
    public SqliteCommand ReadRecords { get; }
    public SqliteCommand ReadPending { get; }
}
