using Npgsql;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>Plain statements against a test database, and waiting on what it says.</summary>
internal static class Sql
{
    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public static async Task<List<string>> ColumnAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var values = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }

    /// <summary>Asks <paramref name="probe"/> every 20 ms, on a connection of its own, until it answers non-null;
    /// fails the test with <paramref name="what"/> (and <paramref name="context"/>) when <paramref name="timeout"/>
    /// passes first.</summary>
    public static async Task<T> UntilAsync<T>(string connectionString, Func<NpgsqlConnection, Task<T?>> probe, string what, TimeSpan timeout, Func<string>? context = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await probe(connection) is { } answer)
            {
                return answer;
            }
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what + (context is null ? "" : "\n" + context()));
            }
        }
    }
}
