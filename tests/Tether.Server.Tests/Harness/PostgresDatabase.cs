using Npgsql;

namespace Tether.Server.Tests.Harness;

/// <summary>
/// A fresh, empty PostgreSQL database for one test, dropped again on dispose, so tests never see each other's data
/// and may run in parallel. The server is the one named by <c>TETHER_POSTGRES</c> (<c>.ci/run</c> starts a private
/// cluster and sets it) or, when that is unset, a local default install on 127.0.0.1:5432. Without a reachable server
/// the test is skipped, or fails when <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes there by skipping.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "TETHER_POSTGRES";

    // A developer's own install, if any. The short timeout keeps a machine without PostgreSQL from waiting the
    // default 15 s per test before skipping.
    private const string LocalDefault = "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres;Timeout=2";

    private PostgresDatabase(string name, string adminConnectionString, string connectionString)
    {
        Name = name;
        AdminConnectionString = adminConnectionString;
        ConnectionString = connectionString;
    }

    /// <summary>The database's name, <c>tether_test_</c> and 32 hex digits.</summary>
    public string Name { get; }

    /// <summary>The server's base connection string (its maintenance database), for creating and dropping.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The base connection string with <c>Database</c> set to this test's database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates the database on the tests' server, or on the one <paramref name="serverVariable"/> names
    /// (the restart test's own cluster).</summary>
    public static async Task<PostgresDatabase> CreateAsync(string serverVariable = ServerVariable)
    {
        string admin = AdminConnection(serverVariable, out string source);
        string name = "tether_test_" + Guid.NewGuid().ToString("N");

        await using var connection = new NpgsqlConnection(admin);
        string? problem = null;
        try
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
        }
        catch (NpgsqlException e)
        {
            // Refused, timed out, or refused by authentication: all mean "no server this test can use". Errors after
            // this point (CREATE DATABASE refused, say) are real failures and are not caught.
            problem = e.Message;
        }

        if (problem is not null)
        {
            var target = new NpgsqlConnectionStringBuilder(admin);
            string message = $"PostgreSQL is not reachable ({target.Host}:{target.Port} as {target.Username}, from {source}: {problem}); "
                + $"set {serverVariable} or run bash .ci/run.";
            if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
            {
                Assert.Fail(message + " TETHER_REQUIRE_ALL=1, so the PostgreSQL tests may not be skipped.");
            }

            Assert.Skip(message + " Skipping the PostgreSQL test.");
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
        {
            await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new PostgresDatabase(name, admin, builder.ConnectionString);
    }

    /// <summary>
    /// Kills every client connection to <paramref name="database"/> (<c>pg_terminate_backend</c>), as a network
    /// failure or a server-side kill would, and returns how many there were. The call waits until the backends have
    /// exited (the timeout argument, PostgreSQL 14+), so the test continues against connections that are really gone.
    /// </summary>
    public static async Task<int> TerminateConnectionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(AdminConnection(out _));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*)::int FROM (
                SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                WHERE datname = @database AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            ) AS terminated
            """,
            connection);
        command.Parameters.AddWithValue("database", database);
        return (int)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Runs a statement on the server's maintenance database (e.g. <c>ALTER DATABASE</c>).</summary>
    public static async Task ExecuteAsAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnection(out _));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // No cancellation token here: a cancelled or failed test must still drop its database.
        // Idle pooled connections to this database would otherwise be killed by FORCE and linger in the pool as dead
        // entries. ClearAllPools reaches only connections made through NpgsqlConnection; a store's own NpgsqlDataSource
        // is closed by disposing the store, and FORCE ends whatever is still connected.
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            await DropAsync(connection);
        }
        catch (NpgsqlException)
        {
            // A test that stopped or broke the server must report its own failure, not this one; a database left
            // behind costs only disk space (and in CI the whole cluster is deleted).
        }
    }

    // FORCE ends client backends but not a walsender streaming a slot of this database (55006, "used by an active
    // logical replication slot"), so the walsenders are ended first; the drop then removes the database's slots. A
    // sequencer still running in the test's process reconnects on its own and may take the slot again between the two
    // statements: that race belongs to cleanup only, so it is retried a few times rather than prevented.
    private async Task DropAsync(NpgsqlConnection connection)
    {
        const int Attempts = 5;
        for (int attempt = 1; ; attempt++)
        {
            await using (var terminate = new NpgsqlCommand(
                "SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots WHERE database = @database AND active_pid IS NOT NULL",
                connection))
            {
                terminate.Parameters.AddWithValue("database", Name);
                await terminate.ExecuteNonQueryAsync();
            }

            try
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < Attempts)
            {
            }
        }
    }

    private static string AdminConnection(out string source) => AdminConnection(ServerVariable, out source);

    private static string AdminConnection(string variable, out string source)
    {
        string? configured = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(configured))
        {
            source = $"the default, as {variable} is not set";
            return LocalDefault;
        }

        source = variable;
        return configured;
    }
}
