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
            await reader.ReadAsync(ct).ConfigureAwait(false) ? RecordAt(reader, modelName, id, 0) : null,
            cancellationToken);

    /// <summary>The record and its row's version (<c>xmin</c>), or two nulls when absent: a writer's read, checked at commit.</summary>
    public static ValueTask<(Record? Record, string? Version)> GetRecordVersionAsync(NpgsqlConnection connection, string modelName, string id, CancellationToken cancellationToken)
        => QueryAsync(connection, PgSql.GetRecordVersion, [("model", modelName), ("id", id)], async (reader, ct) =>
            await reader.ReadAsync(ct).ConfigureAwait(false) ? (RecordAt(reader, modelName, id, 0), reader.GetString(2)) : ((Record?)null, (string?)null),
            cancellationToken);

    public static ValueTask<IReadOnlyList<Record>> ListRecordsAsync(NpgsqlConnection connection, string modelName, string syncGroup, CancellationToken cancellationToken)
        => QueryAsync<IReadOnlyList<Record>>(connection, PgSql.ListRecords, [("model", modelName), ("group", syncGroup)], async (reader, ct) =>
        {
            var records = new List<Record>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(RecordAt(reader, modelName, reader.GetString(0), 1));
            }
            return records;
        }, cancellationToken);

    /// <summary>The group's records with their rows' versions (<c>xmin</c>): a writer's read, checked at commit.</summary>
    public static ValueTask<IReadOnlyList<(Record Record, string Version)>> ListRecordVersionsAsync(NpgsqlConnection connection, string modelName, string syncGroup, CancellationToken cancellationToken)
        => QueryAsync<IReadOnlyList<(Record, string)>>(connection, PgSql.ListRecordVersions, [("model", modelName), ("group", syncGroup)], async (reader, ct) =>
        {
            var records = new List<(Record, string)>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add((RecordAt(reader, modelName, reader.GetString(0), 1), reader.GetString(3)));
            }
            return records;
        }, cancellationToken);

    /// <summary>The record whose data and groups are the columns at <paramref name="data"/> and the one after.</summary>
    private static Record RecordAt(NpgsqlDataReader reader, string modelName, string id, int data)
        => new(modelName, id, ParseObject(reader.GetString(data), modelName, id), reader.GetFieldValue<string[]>(data + 1));

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

    /// <summary>Emits a Tether marker in a transaction of its own (a heartbeat, a fence): the sequencer tells it as a
    /// transaction with no action.</summary>
    public static async Task EmitMarkerAsync(NpgsqlDataSource dataSource, string key, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand emit = Command(connection, PgSql.EmitMarker, ("marker", Sequencing.MarkerMessage.Format(key, [], [])));
        await emit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the transaction's lock timeout and reads the head with <paramref name="headStatement"/>
    /// (<see cref="PgSql.ReadHead"/>, or <see cref="PgSql.LockHead"/> to hold it), in one round trip.</summary>
    public static async ValueTask<long> BeginAtHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan lockTimeout, string headStatement, CancellationToken cancellationToken)
    {
        string timeout = ((long)lockTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var begin = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands = { new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {timeout}"), new NpgsqlBatchCommand(headStatement) },
        };
        await using NpgsqlDataReader reader = await begin.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? reader.GetInt64(0)
            : throw new InvalidOperationException("tether_head has no row: the store's schema is damaged.");
    }

    public static async ValueTask<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using NpgsqlCommand command = Command(connection, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static JsonObject ParseObject(string data, string modelName, string id) =>
        JsonNode.Parse(data) as JsonObject
        ?? throw new InvalidDataException($"The stored data of record {modelName}/{id} is not a JSON object.");
}
