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

    /// <summary>The JSON an <c>issue</c> record is written with, given the JSON a test wrote for it and its groups. The
    /// default is that JSON as it is. A store that keeps <c>issue</c> in a table of the app's, whose columns decide a
    /// record's groups, puts the groups into the JSON and returns it as the table serves it.</summary>
    protected virtual string IssueJson(string id, string data, IReadOnlyList<string> syncGroups) => data;

    protected RecordWrite Put(string id, params string[] groups) => PutJson(id, $$"""{"id":"{{id}}"}""", groups);

    protected RecordWrite PutJson(string id, string data, params string[] groups) => new("issue", id, IssueJson(id, data, groups), groups);

    protected static RecordWrite Delete(string id) => new("issue", id, null, []);

    /// <summary>The action a batch appends for a record it writes, as the pipeline would: the record's model, id, data
    /// and groups, by the mutation <paramref name="mutationId"/> of <paramref name="clientId"/> (default: client
    /// <c>c1</c>, mutation <paramref name="syncId"/>). A store may write the log from the batch's actions or from the
    /// rows the batch changed; with the two alike, every test here holds either way.</summary>
    protected static LogEntry Logged(long syncId, string action, RecordWrite record, string clientId = "c1", long? mutationId = null)
        => new(syncId, action, record.ModelName, record.Id, record.Data, record.SyncGroups, clientId, mutationId ?? syncId);

    /// <summary>The insert of a record the batch creates, at <paramref name="syncId"/>.</summary>
    protected static LogEntry Insert(long syncId, RecordWrite record) => Logged(syncId, "insert", record);

    /// <summary>A batch that creates the records, each with its insert action, at <c>head + 1</c> on.</summary>
    protected static WriteBatch Inserting(long head, params RecordWrite[] records)
        => new() { Records = records, Actions = [.. records.Select((record, i) => Insert(head + 1 + i, record))] };

    /// <summary>Begins a write, builds the batch with its actions' syncIds from the head the transaction holds (a store
    /// that gives syncIds at commit requires them to continue it; one that orders commits afterwards gives its own),
    /// commits it, and returns the head right after the batch's actions once they have their syncIds
    /// (<see cref="CommittedBatch.Sequenced"/>).</summary>
    protected static async Task<long> CommitAsync(ITetherStore store, Func<long, WriteBatch> build)
    {
        CommittedBatch committed;
        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct))
        {
            committed = await transaction.CommitAsync(build(transaction.Head), Ct);
        }
        return await committed.Sequenced.WaitAsync(Ct);
    }

    /// <summary>Commits one batch per id, each creating that record in <c>team:1</c> with its insert action, and
    /// returns their syncIds.</summary>
    protected async Task<List<long>> CommitInsertsAsync(ITetherStore store, params string[] modelIds)
    {
        var syncIds = new List<long>();
        foreach (string modelId in modelIds)
        {
            syncIds.Add(await CommitAsync(store, head => Inserting(head, Put(modelId, "team:1"))));
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
