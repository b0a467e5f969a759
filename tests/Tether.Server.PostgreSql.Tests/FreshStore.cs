using Tether.Server.Storage;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>A test class's own PostgreSQL store on a fresh database, with its sequencer running, and the commit
/// helper its tests share.</summary>
public abstract class FreshStore : IAsyncLifetime
{
    private PostgresDatabase? _database;
    private SequencedStore? _store;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected SequencedStore Store => _store ?? throw new InvalidOperationException("InitializeAsync has not run.");

    protected string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("InitializeAsync has not run.");

    public virtual async ValueTask InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _store = new SequencedStore(new PostgreSqlTetherStore(new PostgreSqlStoreOptions { ConnectionString = _database.ConnectionString }));
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Commits the batch in a write transaction of its own; returns the head after it once sequenced.</summary>
    protected async Task<long> CommitAsync(WriteBatch batch)
    {
        CommittedBatch committed;
        await using (ITetherWriteTransaction transaction = await Store.BeginWriteAsync(Ct))
        {
            committed = await transaction.CommitAsync(batch, Ct);
        }
        return await committed.Sequenced.WaitAsync(Ct);
    }

    /// <summary>An issue of team 1.</summary>
    protected static RecordWrite Issue(string id, string title) => new("issue", id, $$"""{"id":"{{id}}","title":"{{title}}"}""", ["team:1"]);
}
