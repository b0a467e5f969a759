using System.Data.Common;
using Tether.Server.Storage;
using static Tether.Server.Sqlite.Tests.StoreHarness;

namespace Tether.Server.Sqlite.Tests;

/// <summary>What an extension runs on a transaction's or a snapshot's own connection (<see cref="IStoreConnection"/>)
/// shares its fate and its view.</summary>
public sealed class StoreConnectionTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_statement_on_the_write_transactions_connection_commits_with_its_batch()
    {
        var store = await OpenWithAppTableAsync();

        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            await ExecuteAsync((IStoreConnection)transaction, "INSERT INTO app_notes(id) VALUES('n1')");
            await transaction.CommitAsync(new WriteBatch { Actions = [Action(transaction.Head + 1, "n1")] }, Ct);
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(1L, await ScalarAsync((IStoreConnection)snapshot, "SELECT count(*) FROM app_notes WHERE id = 'n1'"));
        Assert.Equal(1L, snapshot.Head);
    }

    [Fact]
    public async Task A_statement_on_the_write_transactions_connection_rolls_back_when_it_is_not_committed()
    {
        var store = await OpenWithAppTableAsync();

        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            var connection = (IStoreConnection)transaction;
            await ExecuteAsync(connection, "INSERT INTO app_notes(id) VALUES('n1')");
            Assert.Equal(1L, await ScalarAsync(connection, "SELECT count(*) FROM app_notes"));
        }

        await using var snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(0L, await ScalarAsync((IStoreConnection)snapshot, "SELECT count(*) FROM app_notes"));
        Assert.Equal(0L, snapshot.Head);
    }

    [Fact]
    public async Task A_snapshots_connection_reads_the_state_of_the_snapshot_not_later_commits()
    {
        var store = await OpenWithAppTableAsync();
        await using var before = await store.BeginReadAsync(Ct);
        var beforeConnection = (IStoreConnection)before;
        // The first read fixes a SQLite snapshot; the store reads its head when it opens one, so this is already fixed.
        Assert.Equal(0L, await ScalarAsync(beforeConnection, "SELECT count(*) FROM app_notes"));

        await using (var transaction = await store.BeginWriteAsync(Ct))
        {
            await ExecuteAsync((IStoreConnection)transaction, "INSERT INTO app_notes(id) VALUES('n1')");
            await transaction.CommitAsync(new WriteBatch { Actions = [Action(transaction.Head + 1, "n1")] }, Ct);
        }

        Assert.Equal(0L, await ScalarAsync(beforeConnection, "SELECT count(*) FROM app_notes"));
        Assert.Equal(0L, before.Head);
        await using var after = await store.BeginReadAsync(Ct);
        Assert.Equal(1L, await ScalarAsync((IStoreConnection)after, "SELECT count(*) FROM app_notes"));
    }

    private async Task<SqliteTetherStore> OpenWithAppTableAsync()
    {
        var store = await _harness.OpenAsync();
        using var raw = _harness.OpenRaw();
        Scalar(raw, "CREATE TABLE app_notes(id TEXT PRIMARY KEY)");
        return store;
    }

    private static LogEntry Action(long syncId, string id) => new(syncId, "insert", "note", id, $$"""{"id":"{{id}}"}""", ["team:1"], null, null);

    private static async Task ExecuteAsync(IStoreConnection store, string sql)
    {
        await using DbCommand command = Command(store, sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<long> ScalarAsync(IStoreConnection store, string sql)
    {
        await using DbCommand command = Command(store, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DbCommand Command(IStoreConnection store, string sql)
    {
        var command = store.Connection.CreateCommand();
        command.Transaction = store.Transaction;
        command.CommandText = sql;
        return command;
    }
}
