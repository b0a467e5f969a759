using System.Data.Common;
using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>What an extension runs on a transaction's or a snapshot's own connection (<see cref="IStoreConnection"/>)
/// shares its fate and its view.</summary>
public sealed class StoreConnectionTests : FreshStore
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("CREATE TABLE app_notes(id text PRIMARY KEY)", connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task A_statement_on_the_write_transactions_connection_commits_with_its_batch()
    {
        await using (var transaction = await Store.BeginWriteAsync(Ct))
        {
            await ExecuteAsync((IStoreConnection)transaction, "INSERT INTO app_notes(id) VALUES('n1')");
            Assert.Equal(1L, await CommitNoteAsync(transaction, "n1"));
        }

        await using var snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(1L, await ScalarAsync((IStoreConnection)snapshot, "SELECT count(*) FROM app_notes WHERE id = 'n1'"));
        Assert.NotNull(await snapshot.GetRecordAsync("note", "n1", Ct));
        Assert.Equal(1L, snapshot.Head);
    }

    [Fact]
    public async Task A_statement_on_the_write_transactions_connection_rolls_back_when_it_is_not_committed()
    {
        await using (var transaction = await Store.BeginWriteAsync(Ct))
        {
            var connection = (IStoreConnection)transaction;
            await ExecuteAsync(connection, "INSERT INTO app_notes(id) VALUES('n1')");
            Assert.Equal(1L, await ScalarAsync(connection, "SELECT count(*) FROM app_notes"));
        }

        await using var snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(0L, await ScalarAsync((IStoreConnection)snapshot, "SELECT count(*) FROM app_notes"));
        Assert.Equal(0L, snapshot.Head);
    }

    [Fact]
    public async Task A_snapshots_connection_reads_the_state_of_the_snapshot_not_later_commits()
    {
        await using var before = await Store.BeginReadAsync(Ct);
        var beforeConnection = (IStoreConnection)before;

        await using (var transaction = await Store.BeginWriteAsync(Ct))
        {
            await ExecuteAsync((IStoreConnection)transaction, "INSERT INTO app_notes(id) VALUES('n1')");
            Assert.Equal(1L, await CommitNoteAsync(transaction, "n1"));
        }

        Assert.Equal(0L, await ScalarAsync(beforeConnection, "SELECT count(*) FROM app_notes"));
        Assert.Equal(0L, before.Head);
        await using var after = await Store.BeginReadAsync(Ct);
        Assert.Equal(1L, await ScalarAsync((IStoreConnection)after, "SELECT count(*) FROM app_notes"));
    }

    /// <summary>Commits a batch that creates the note record <paramref name="id"/> with its action, and returns the head
    /// after it once sequenced.</summary>
    private static async Task<long> CommitNoteAsync(ITetherWriteTransaction transaction, string id)
    {
        var note = new RecordWrite("note", id, $$"""{"id":"{{id}}"}""", ["team:1"]);
        var action = new LogEntry(transaction.Head + 1, "insert", note.ModelName, note.Id, note.Data, note.SyncGroups, null, null);
        CommittedBatch committed = await transaction.CommitAsync(new WriteBatch { Records = [note], Actions = [action] }, Ct);
        return await committed.Sequenced.WaitAsync(Ct);
    }

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
