using Tether.Server.Specification;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite.Tests;

/// <summary>The store specification on a real SQLite file of each test's own.</summary>
public class SqliteStoreSpecificationTests : BatchLogStoreSpecification
{
    private readonly StoreHarness _harness = new();

    public SqliteStoreSpecificationTests()
        : this(inAppDatabase: false)
    {
    }

    /// <param name="inAppDatabase">Whether the file is an app's database (<see cref="AppDatabase"/>) before the store
    /// first opens it.</param>
    protected SqliteStoreSpecificationTests(bool inAppDatabase)
    {
        if (inAppDatabase)
        {
            AppDatabase.Create(_harness.DatabasePath);
        }
    }

    protected override ITetherStore CreateStore() => _harness.Create();

    protected override Task RefuseRecordAsync(string recordId)
    {
        using var connection = _harness.OpenRaw();
        StoreHarness.Scalar(connection,
            $"CREATE TRIGGER refuse_record BEFORE INSERT ON tether_records WHEN NEW.id = '{recordId.Replace("'", "''", StringComparison.Ordinal)}' " +
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
        return Task.CompletedTask;
    }

    protected override Task MakeSchemaNewerAsync()
    {
        using var connection = _harness.OpenRaw();
        StoreHarness.Scalar(connection, "UPDATE tether_meta SET value = value + 1 WHERE key = 'schema_version';");
        return Task.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _harness.DisposeAsync();
    }
}
