using Microsoft.Data.Sqlite;
using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>Reads the database of a running test server directly, as another program would.</summary>
public static class ServerDatabase
{
    public static async Task<object?> ScalarAsync(TestServer server, string sql)
    {
        await using System.Data.Common.DbConnection connection = server.PostgresConnection is { } postgres
            ? new NpgsqlConnection(postgres)
            : new SqliteConnection($"Data Source={server.DataPath};Pooling=False");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using System.Data.Common.DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return value is DBNull ? null : value;
    }

    public static async Task<long> CountAsync(TestServer server, string table, string where = "1 = 1")
        => Convert.ToInt64(await ScalarAsync(server, $"SELECT count(*) FROM {table} WHERE {where}"));
}
