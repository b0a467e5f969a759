using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Internal;

/// <summary>Runs the shared reads on a command whose text and parameters are set, and maps the rows.</summary>
internal static class Rows
{
    public static Record? ReadRecord(SqliteCommand command, string modelName, string id)
    {
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new Record(modelName, id, ParseObject(reader.GetString(0), modelName, id), JsonArrays.ToStrings(reader.GetString(1)));
    }

    public static IReadOnlyList<Record> ReadRecordList(SqliteCommand command, string modelName)
    {
        var records = new List<Record>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            records.Add(new Record(modelName, id, ParseObject(reader.GetString(1), modelName, id), JsonArrays.ToStrings(reader.GetString(2))));
        }

        return records;
    }

    public static IReadOnlyList<LogEntry> ReadLog(SqliteCommand command)
    {
        var entries = new List<LogEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new LogEntry(
                SyncId: reader.GetInt64(0),
                Action: reader.GetString(1),
                ModelName: reader.GetString(2),
                ModelId: reader.GetString(3),
                Data: reader.IsDBNull(4) ? null : reader.GetString(4),
                SyncGroups: JsonArrays.ToStrings(reader.GetString(7)),
                ClientId: reader.IsDBNull(5) ? null : reader.GetString(5),
                MutationId: reader.IsDBNull(6) ? null : reader.GetInt64(6)));
        }

        return entries;
    }

    public static ClientState? ReadClient(SqliteCommand command, string clientId)
    {
        using var reader = command.ExecuteReader();
        return reader.Read() ? new ClientState(clientId, reader.GetString(0), reader.GetInt64(1)) : null;
    }

    private static JsonObject ParseObject(string data, string modelName, string id) =>
        JsonNode.Parse(data) as JsonObject
        ?? throw new InvalidDataException($"The stored data of record {modelName}/{id} is not a JSON object.");
}
