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
            command.Parameters.Add(Parameter(name, value));
        }
        return command;
    }

    /// <summary>Npgsql writes a WAL position only when told its type.</summary>
    public static NpgsqlParameter Parameter(string name, object? value) => value switch
    {
        NpgsqlTypes.NpgsqlLogSequenceNumber => new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.PgLsn) { Value = value },
        _ => new NpgsqlParameter(name, value ?? DBNull.Value),
    };

    public static ValueTask<Record?> GetRecordAsync(NpgsqlConnection connection, string modelName, string id, CancellationToken cancellationToken)
        => QueryAsync(connection, PgSql.GetRecord, [("model", modelName), ("id", id)], async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new Record(modelName, id, ParseObject(reader.GetString(0), modelName, id), reader.GetFieldValue<string[]>(1))
                : null,
            cancellationToken);

    public static ValueTask<IReadOnlyList<Record>> ListRecordsAsync(NpgsqlConnection connection, string modelName, string syncGroup, CancellationToken cancellationToken)
        => QueryAsync<IReadOnlyList<Record>>(connection, PgSql.ListRecords, [("model", modelName), ("group", syncGroup)], async (reader, ct) =>
        {
            var records = new List<Record>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                string id = reader.GetString(0);
                records.Add(new Record(modelName, id, ParseObject(reader.GetString(1), modelName, id), reader.GetFieldValue<string[]>(2)));
            }
            return records;
        }, cancellationToken);

    public static ValueTask<ClientState?> GetClientAsync(NpgsqlConnection connection, string clientId, CancellationToken cancellationToken)
        => QueryAsync(connection, PgSql.GetClient, [("client", clientId)], async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false) ? new ClientState(clientId, reader.GetString(0), reader.GetInt64(1)) : null,
            cancellationToken);

    public static ValueTask<StoredRejection?> GetRejectionAsync(NpgsqlConnection connection, string clientId, long mutationId, CancellationToken cancellationToken)
        => QueryAsync(connection, PgSql.GetRejection, [("client", clientId), ("mutation", mutationId)], async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false) ? new StoredRejection(clientId, mutationId, reader.GetString(0), reader.GetString(1)) : null,
            cancellationToken);

    /// <summary>Runs one query and maps its rows.</summary>
    private static async ValueTask<T> QueryAsync<T>(
        NpgsqlConnection connection,
        string sql,
        (string Name, object? Value)[] parameters,
        Func<NpgsqlDataReader, CancellationToken, Task<T>> map,
        CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(connection, sql, parameters);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await map(reader, cancellationToken).ConfigureAwait(false);
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
