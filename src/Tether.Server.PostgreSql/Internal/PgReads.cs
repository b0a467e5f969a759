using System.Text.Json.Nodes;
using Npgsql;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>The reads both the write transaction and the snapshots make, on a connection with its transaction open.</summary>
internal static class PgReads
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    public static async ValueTask<Record?> GetRecordAsync(NpgsqlConnection connection, string modelName, string id, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(connection, PgSql.GetRecord, ("model", modelName), ("id", id));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new Record(modelName, id, ParseObject(reader.GetString(0), modelName, id), reader.GetFieldValue<string[]>(1));
    }

    public static async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(NpgsqlConnection connection, string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(connection, PgSql.ListRecords, ("model", modelName), ("group", syncGroup));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<Record>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string id = reader.GetString(0);
            records.Add(new Record(modelName, id, ParseObject(reader.GetString(1), modelName, id), reader.GetFieldValue<string[]>(2)));
        }
        return records;
    }

    public static async ValueTask<ClientState?> GetClientAsync(NpgsqlConnection connection, string clientId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(connection, PgSql.GetClient, ("client", clientId));
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? new ClientState(clientId, reader.GetString(0), reader.GetInt64(1)) : null;
    }

    public static async ValueTask<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(connection, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static JsonObject ParseObject(string data, string modelName, string id) =>
        JsonNode.Parse(data) as JsonObject
        ?? throw new InvalidDataException($"The stored data of record {modelName}/{id} is not a JSON object.");
}
