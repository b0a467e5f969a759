using Tether.Server.Specification;
using Tether.Server.Sqlite.Internal;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Tests;

/// <summary>The store specification on a real SQLite file of each test's own.</summary>
public sealed class SqliteStoreSpecificationTests : StoreSpecification
{
    private readonly StoreHarness _harness = new();

    protected override ITetherStore CreateStore() => _harness.Create();

    protected override Task RefuseRecordAsync(string recordId)
    {
        using var connection = _harness.OpenRaw();
        StoreHarness.Scalar(connection,
            $"CREATE TRIGGER refuse_record BEFORE INSERT ON records WHEN NEW.id = '{recordId.Replace("'", "''", StringComparison.Ordinal)}' " +
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
        return Task.CompletedTask;
    }

    protected override Task MakeSchemaNewerAsync()
    {
        using var connection = _harness.OpenRaw();
        StoreHarness.Scalar(connection, $"PRAGMA user_version = {SchemaMigrations.LatestVersion + 1};");
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _harness.DisposeAsync();
    }
}
