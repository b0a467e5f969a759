using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Specification;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests.Specification;

/// <summary>
/// The EF-backed stores the store specification runs on, with the specification's <c>issue</c> model in an app's
/// table (<see cref="SpecIssue"/>, groups from its <c>Team</c> and <c>User</c> columns) and its other models as
/// Tether's JSON records, on a database of each test's own.
/// </summary>
internal sealed class EfSpecStores(bool onPostgres) : IAsyncDisposable
{
    private AppDatabase? _database;
    private EfStores<SpecDb>? _stores;

    private AppDatabase Database => _database ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public async ValueTask InitializeAsync()
    {
        _database = await AppDatabase.CreateAsync(onPostgres);
        _stores = new EfStores<SpecDb>(_database, sync => sync.Model(SpecModels.Issue));
        await _stores.CreateAppTablesAsync();
    }

    public ITetherStore Create() => (_stores ?? throw new InvalidOperationException("InitializeAsync has not run.")).Create();

    /// <summary>The record's groups go into the columns that decide them; the JSON is the row's.</summary>
    public static string IssueJson(string data, IReadOnlyList<string> syncGroups)
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

    public Task RefuseRecordAsync(string recordId) => Database.RefuseAsync("spec_issues", "Id", recordId);

    // Both stores keep their schema version in a row of tether_meta.
    public Task MakeSchemaNewerAsync() => Database.ExecuteAsync("UPDATE tether_meta SET value = value + 1 WHERE key = 'schema_version'");

    public async ValueTask DisposeAsync()
    {
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

/// <summary>The store specification on the EF-backed store on SQLite, which writes the log from each batch.</summary>
public sealed class EfSqliteStoreSpecificationTests : BatchLogStoreSpecification
{
    private readonly EfSpecStores _spec = new(onPostgres: false);

    public override ValueTask InitializeAsync() => _spec.InitializeAsync();

    protected override ITetherStore CreateStore() => _spec.Create();

    protected override string IssueJson(string id, string data, IReadOnlyList<string> syncGroups) => EfSpecStores.IssueJson(data, syncGroups);

    protected override Task RefuseRecordAsync(string recordId) => _spec.RefuseRecordAsync(recordId);

    protected override Task MakeSchemaNewerAsync() => _spec.MakeSchemaNewerAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _spec.DisposeAsync();
    }
}

/// <summary>The store specification on the EF-backed store on PostgreSQL, whose log the sequencer writes from the
/// write-ahead log.</summary>
public sealed class EfPostgreSqlStoreSpecificationTests : StoreSpecification
{
    private readonly EfSpecStores _spec = new(onPostgres: true);

    public override ValueTask InitializeAsync() => _spec.InitializeAsync();

    protected override ITetherStore CreateStore() => _spec.Create();

    protected override string IssueJson(string id, string data, IReadOnlyList<string> syncGroups) => EfSpecStores.IssueJson(data, syncGroups);

    protected override Task RefuseRecordAsync(string recordId) => _spec.RefuseRecordAsync(recordId);

    protected override Task MakeSchemaNewerAsync() => _spec.MakeSchemaNewerAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _spec.DisposeAsync();
    }
}
