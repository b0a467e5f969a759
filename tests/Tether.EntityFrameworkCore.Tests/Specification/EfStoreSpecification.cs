using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Specification;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests.Specification;

/// <summary>
/// The store specification on the EF-backed store, with the specification's <c>issue</c> model in an app's table
/// (<see cref="SpecIssue"/>, groups from its <c>Team</c> and <c>User</c> columns) and its other models as Tether's
/// JSON records, on a database of each test's own.
/// </summary>
public abstract class EfStoreSpecification : StoreSpecification
{
    private AppDatabase? _database;
    private EfStores<SpecDb>? _stores;

    protected abstract bool OnPostgres { get; }

    private AppDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public override async ValueTask InitializeAsync()
    {
        _database = await AppDatabase.CreateAsync(OnPostgres);
        _stores = new EfStores<SpecDb>(_database, sync => sync.Model(SpecModels.Issue));
        await _stores.CreateAppTablesAsync();
    }

    protected override ITetherStore CreateStore() => _stores!.Create();

    /// <summary>The record's groups go into the columns that decide them; the JSON is the row's.</summary>
    protected override string IssueJson(string id, string data, IReadOnlyList<string> syncGroups)
    {
        JsonObject json = JsonNode.Parse(data)!.AsObject();
        foreach (string group in syncGroups)
        {
            string[] parts = group.Split(':', 2);
            json[parts[0] switch
            {
                "team" => "team",
                "user" => "user",
                _ => throw new ArgumentException($"'{group}' is not a group of a spec issue's columns.", nameof(syncGroups)),
            }] = parts[1];
        }
        return JsonSerializer.Serialize(SpecModels.Issue.FromJson(json), SpecModels.Issue.Json);
    }

    protected override Task RefuseRecordAsync(string recordId) => Database.RefuseAsync("spec_issues", "Id", recordId);

    // Both stores keep their schema version in a row of tether_meta.
    protected override Task MakeSchemaNewerAsync() => Database.ExecuteAsync("UPDATE tether_meta SET value = value + 1 WHERE key = 'schema_version'");

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

public sealed class EfSqliteStoreSpecificationTests : EfStoreSpecification
{
    protected override bool OnPostgres => false;
}

public sealed class EfPostgreSqlStoreSpecificationTests : EfStoreSpecification
{
    protected override bool OnPostgres => true;
}
