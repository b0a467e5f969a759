using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>A fresh database with Tether's schema and the sequencer's replication objects (publication, slot).</summary>
internal sealed class SequencerDatabase : IAsyncDisposable
{
    private SequencerDatabase(PostgresDatabase database, PostgreSqlTetherStore store)
    {
        Database = database;
        Store = store;
    }

    public PostgresDatabase Database { get; }

    public PostgreSqlTetherStore Store { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<SequencerDatabase> CreateAsync(Action<PostgreSqlStoreOptions>? configure = null, Func<NpgsqlConnection, Task>? beforeInitialize = null)
    {
        PostgresDatabase database = await PostgresDatabase.CreateAsync();
        var options = new PostgreSqlStoreOptions { ConnectionString = database.ConnectionString };
        configure?.Invoke(options);
        var store = new PostgreSqlTetherStore(options);
        if (beforeInitialize is not null)
        {
            await using NpgsqlConnection connection = await OpenAsync(database);
            await beforeInitialize(connection);
        }
        await store.InitializeAsync(Ct);
        return new SequencerDatabase(database, store);
    }

    public Task<NpgsqlConnection> OpenAsync() => OpenAsync(Database);

    private static async Task<NpgsqlConnection> OpenAsync(PostgresDatabase database)
    {
        var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using NpgsqlConnection connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        object? value = await command.ExecuteScalarAsync(Ct);
        return value is DBNull ? null : value;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using NpgsqlConnection connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Database.DisposeAsync();
    }
}
