using System.Text;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>
/// The behaviour every <see cref="ITetherStore"/> must have, as tests. A store's test project derives a public class
/// from this one and says how to make a store on a database of its own for each test (xunit makes a new instance per
/// test, so <see cref="InitializeAsync"/> is the place to create that database) and how to make that database fail in
/// the two ways only the store's own SQL can arrange. Everything else goes through the contract.
/// </summary>
public abstract partial class StoreSpecification : IAsyncLifetime
{
    private readonly List<ITetherStore> _stores = [];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new, not yet initialized store object on this test's database: every call within one test reaches
    /// the same database, as a restarted server (or another node) would.</summary>
    protected abstract ITetherStore CreateStore();

    /// <summary>Makes the database itself refuse to store a record with the id <paramref name="recordId"/> from now
    /// on (a trigger that raises, say), so that a commit fails half way through, as a full disk or a lost connection
    /// would make it. Called after the store was initialized.</summary>
    protected abstract Task RefuseRecordAsync(string recordId);

    /// <summary>Records in the database that its Tether schema is one version newer than this store knows, as a
    /// newer server's migration would leave it. Called after the store was initialized and disposed.</summary>
    protected abstract Task MakeSchemaNewerAsync();

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>Disposes every store the test made; a derived class drops its database after calling this.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        foreach (ITetherStore store in _stores)
        {
            await store.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>A new store on this test's database, initialized.</summary>
    protected async Task<ITetherStore> OpenAsync()
    {
        ITetherStore store = Track(CreateStore());
        await store.InitializeAsync(Ct);
        return store;
    }

    protected ITetherStore Track(ITetherStore store)
    {
        _stores.Add(store);
        return store;
    }

    /// <summary>An insert of <paramref name="modelId"/> at <paramref name="syncId"/>, as the pipeline would append it.</summary>
    protected static LogEntry Insert(long syncId, string modelId, params string[] groups)
        => new(syncId, "insert", "issue", modelId, $$"""{"id":"{{modelId}}"}""", groups, "c1", syncId);

    /// <summary>The JSON an <c>issue</c> record is written with, given the JSON a test wrote for it and its groups. The
    /// default is that JSON as it is. A store that keeps <c>issue</c> in a table of the app's, whose columns decide a
    /// record's groups, puts the groups into the JSON and returns it as the table serves it.</summary>
    protected virtual string IssueJson(string id, string data, IReadOnlyList<string> syncGroups) => data;

    protected RecordWrite Put(string id, params string[] groups) => PutJson(id, $$"""{"id":"{{id}}"}""", groups);

    protected RecordWrite PutJson(string id, string data, params string[] groups) => new("issue", id, IssueJson(id, data, groups), groups);

    protected static RecordWrite Delete(string id) => new("issue", id, null, []);

    /// <summary>Begins a write, builds the batch from the head it holds, commits it, and returns that head.</summary>
    protected static async Task<long> CommitAsync(ITetherStore store, Func<long, WriteBatch> build)
    {
        await using ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct);
        long head = transaction.Head;
        await transaction.CommitAsync(build(head), Ct);
        return head;
    }

    /// <summary>Commits one batch per id, each inserting that record with its action in <c>team:1</c>, and returns
    /// their syncIds.</summary>
    protected async Task<List<long>> CommitInsertsAsync(ITetherStore store, params string[] modelIds)
    {
        var syncIds = new List<long>();
        foreach (string modelId in modelIds)
        {
            long head = await CommitAsync(store, head => new WriteBatch { Records = [Put(modelId, "team:1")], Actions = [Insert(head + 1, modelId, "team:1")] });
            syncIds.Add(head + 1);
        }
        return syncIds;
    }

    protected static async Task<List<StoredRecord>> ToListAsync(IAsyncEnumerable<StoredRecord> records)
    {
        var list = new List<StoredRecord>();
        await foreach (StoredRecord record in records)
        {
            list.Add(record);
        }
        return list;
    }

    /// <summary>Reads the cursor to its end, decoding each record, and disposes it.</summary>
    protected static async Task<List<StoredRecord>> ToListAsync(IStoredRecordCursor records)
    {
        await using (records)
        {
            var list = new List<StoredRecord>();
            while (await records.ReadAsync(Ct))
            {
                list.Add(new StoredRecord(records.ModelName, Encoding.UTF8.GetString(records.Id), Encoding.UTF8.GetString(records.Data)));
            }
            return list;
        }
    }

    protected static async Task<IReadOnlyList<LogEntry>> WholeLogAsync(ITetherReadSnapshot snapshot)
        => await snapshot.ReadLogAsync(0, long.MaxValue, int.MaxValue, Ct);
}
