using Npgsql;
using Tether.Server.Specification;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>The store specification on a fresh PostgreSQL database of each test's own.</summary>
public sealed class PostgreSqlStoreSpecificationTests : StoreSpecification
{
    private PostgresDatabase? _database;

    public override async ValueTask InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    protected override ITetherStore CreateStore() => new SequencedStore(new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = Database.ConnectionString }));

    protected override Task RefuseRecordAsync(string recordId)
        => ExecuteAsync(
            "CREATE FUNCTION refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; " +
            $"CREATE TRIGGER refuse_record BEFORE INSERT ON tether_records FOR EACH ROW WHEN (NEW.id = '{recordId.Replace("'", "''", StringComparison.Ordinal)}') " +
            "EXECUTE FUNCTION refuse_record()");

    protected override Task MakeSchemaNewerAsync() => ExecuteAsync("UPDATE tether_meta SET value = value + 1 WHERE key = 'schema_version'");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private PostgresDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }
}
