using Npgsql;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>
/// The PostgreSQL writer's isolation, two transactions of the store interleaved by hand: each reads at READ
/// COMMITTED, and its commit fails as a conflict when anything it read (a record, a record's absence, the members of
/// a group it listed) was changed by a writer that committed in between; writers that only share what they read, or
/// insert different new records, both commit.
/// </summary>
public sealed class ReadSetCheckTests : FreshStore
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await CommitAsync(new WriteBatch { Records = [Issue("project", "p"), Issue("a", "a")] });
    }

    [Fact]
    public async Task A_commit_fails_as_a_conflict_when_a_record_it_read_was_changed_after_the_read()
    {
        await using ITetherWriteTransaction reader = await Store.BeginWriteAsync(Ct);
        Assert.NotNull(await reader.GetRecordAsync("issue", "a", Ct));

        await CommitAsync(new WriteBatch { Records = [Issue("a", "changed")] });

        await Assert.ThrowsAsync<WriteConflictException>(() => reader.CommitAsync(new WriteBatch { Records = [Issue("b", "from a")] }, Ct).AsTask());
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Null(await snapshot.GetRecordAsync("issue", "b", Ct));
    }

    [Fact]
    public async Task A_commit_fails_as_a_conflict_when_a_record_it_read_as_absent_was_inserted_after_the_read()
    {
        await using ITetherWriteTransaction reader = await Store.BeginWriteAsync(Ct);
        Assert.Null(await reader.GetRecordAsync("issue", "ban", Ct));

        await CommitAsync(new WriteBatch { Records = [Issue("ban", "")] });

        await Assert.ThrowsAsync<WriteConflictException>(() => reader.CommitAsync(new WriteBatch { Records = [Issue("c", "no ban")] }, Ct).AsTask());
    }

    [Fact]
    public async Task A_commit_fails_as_a_conflict_when_a_group_it_listed_gained_a_record_after_the_list()
    {
        await using ITetherWriteTransaction reader = await Store.BeginWriteAsync(Ct);
        Assert.Equal(["a", "project"], (await reader.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));

        await CommitAsync(new WriteBatch { Records = [Issue("joined", "")] });

        await Assert.ThrowsAsync<WriteConflictException>(() => reader.CommitAsync(new WriteBatch { Records = [Issue("count", "2")] }, Ct).AsTask());
    }

    [Fact]
    public async Task A_commit_fails_as_a_conflict_when_a_record_of_a_group_it_listed_was_changed_after_the_list()
    {
        await using ITetherWriteTransaction reader = await Store.BeginWriteAsync(Ct);
        Assert.Equal(2, (await reader.ListRecordsAsync("issue", "team:1", Ct)).Count);

        await CommitAsync(new WriteBatch { Records = [Issue("a", "changed")] });

        await Assert.ThrowsAsync<WriteConflictException>(() => reader.CommitAsync(new WriteBatch { Records = [Issue("summary", "")] }, Ct).AsTask());
    }

    [Fact]
    public async Task Writers_that_read_the_same_record_and_insert_different_new_ones_both_commit_in_either_order()
    {
        await using ITetherWriteTransaction first = await Store.BeginWriteAsync(Ct);
        await using ITetherWriteTransaction second = await Store.BeginWriteAsync(Ct);
        Assert.NotNull(await first.GetRecordAsync("issue", "project", Ct));
        Assert.NotNull(await second.GetRecordAsync("issue", "project", Ct));
        Assert.Null(await first.GetRecordAsync("issue", "x1", Ct));
        Assert.Null(await second.GetRecordAsync("issue", "x2", Ct));
        Assert.Empty(await first.ListRecordsAsync("issue", "team:2", Ct));

        CommittedBatch secondCommitted = await second.CommitAsync(new WriteBatch { Records = [Issue("x2", "")] }, Ct);
        CommittedBatch firstCommitted = await first.CommitAsync(new WriteBatch { Records = [Issue("x1", "")] }, Ct);

        await Task.WhenAll(secondCommitted.Sequenced, firstCommitted.Sequenced).WaitAsync(Ct);
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(["a", "project", "x1", "x2"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task A_commit_fails_as_a_conflict_when_a_client_it_read_moved_on_after_the_read()
    {
        await CommitAsync(new WriteBatch { Clients = [new ClientState("c1", "u1", 1)] });
        await using ITetherWriteTransaction reader = await Store.BeginWriteAsync(Ct);
        Assert.Equal(1, (await reader.GetClientAsync("c1", Ct))?.LastMutationId);

        await CommitAsync(new WriteBatch { Clients = [new ClientState("c1", "u1", 2)] });

        await Assert.ThrowsAsync<WriteConflictException>(() => reader.CommitAsync(new WriteBatch { Clients = [new ClientState("c1", "u1", 2)] }, Ct).AsTask());
    }

    [Fact]
    public async Task A_commit_of_more_records_of_a_model_than_it_locks_one_by_one_locks_the_model_instead()
    {
        // Another session holds the lock of one of the records: a commit that locked records one by one would wait
        // for it (and give up at the lock timeout); one that locks the model does not ask for it.
        await using var other = new NpgsqlConnection(ConnectionString);
        await other.OpenAsync(Ct);
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock(@class, @key)", other))
        {
            hold.Parameters.AddWithValue("class", Internal.PgKeyLocks.RecordClass);
            hold.Parameters.AddWithValue("key", Internal.PgKeyLocks.Key("issue", "bulk-0"));
            await hold.ExecuteNonQueryAsync(Ct);
        }
        int count = Internal.PgKeyLocks.MaxRecordLocksPerModel + 1;

        await CommitAsync(new WriteBatch { Records = [.. Enumerable.Range(0, count).Select(i => Issue($"bulk-{i}", ""))] });

        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        Assert.Equal(count + 2, (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Count);
    }
}
