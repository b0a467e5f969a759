using Tether.Mutators;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

public sealed class LocalStoreTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task A_new_store_loads_empty_with_next_mutation_id_1()
    {
        var store = await _harness.OpenAsync();

        var snapshot = await store.LoadAsync(Ct);

        Assert.True(File.Exists(_harness.DatabasePath));
        Assert.Empty(snapshot.Records);
        Assert.Empty(snapshot.Pending);
        Assert.Equal(1, snapshot.Metadata.NextMutationId);
        Assert.Null(snapshot.Metadata.ClientId);
        Assert.Null(snapshot.Metadata.UserId);
        Assert.Null(snapshot.Metadata.SchemaVersion);
        Assert.Equal(0, snapshot.Metadata.FirstSyncId);
        Assert.Equal(0, snapshot.Metadata.LastSyncId);
        Assert.Empty(snapshot.Metadata.SyncGroups);
        Assert.False(snapshot.Metadata.IsBootstrapped);
    }

    [Fact]
    public async Task Writes_survive_reopening_the_file()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite
        {
            Records = [new("issue", "1", """{"title":"a"}"""), new("issue", "2", """{"title":"b"}""")],
            AddPending = [new(1, "createIssue", """{"id":"3"}""")],
            Metadata = new LocalMetadata { ClientId = "c1", LastSyncId = 7, NextMutationId = 2 },
        }, Ct);
        await store.WriteAsync(new LocalWrite { Records = [new("issue", "2", null), new("issue", "1", """{"title":"A"}""")] }, Ct);

        store = await _harness.ReopenAsync(store);
        var snapshot = await store.LoadAsync(Ct);

        Assert.Equal([new StoredRecord("issue", "1", """{"title":"A"}""")], snapshot.Records);
        Assert.Equal([new PendingMutation(1, "createIssue", """{"id":"3"}""")], snapshot.Pending);
        Assert.Equal("c1", snapshot.Metadata.ClientId);
        Assert.Equal(7, snapshot.Metadata.LastSyncId);
        Assert.Equal(2, snapshot.Metadata.NextMutationId);
    }

    [Fact]
    public async Task Clear_records_then_changes_apply_in_one_write()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite
        {
            Records = [new("issue", "old", "{}"), new("issue", "kept", """{"v":1}"""), new("team", "t", "{}")],
            AddPending = [new(1, "m", "{}")],
        }, Ct);

        await store.WriteAsync(new LocalWrite
        {
            ClearRecords = true,
            Records = [new("issue", "kept", """{"v":2}"""), new("issue", "new", "{}"), new("team", "t", null)],
        }, Ct);
        var snapshot = await store.LoadAsync(Ct);

        Assert.Equal([new StoredRecord("issue", "kept", """{"v":2}"""), new StoredRecord("issue", "new", "{}")],
            snapshot.Records);
        // Clearing records leaves the pending queue alone.
        Assert.Equal([new PendingMutation(1, "m", "{}")], snapshot.Pending);
    }

    [Fact]
    public async Task Records_load_ordered_by_model_then_id()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite
        {
            Records = [new("team", "a", "{}"), new("issue", "b", "{}"), new("issue", "a", "{}"), new("comment", "z", "{}")],
        }, Ct);

        var snapshot = await store.LoadAsync(Ct);

        Assert.Equal(
            ["comment/z", "issue/a", "issue/b", "team/a"],
            snapshot.Records.Select(r => $"{r.ModelName}/{r.Id}"));
    }

    [Fact]
    public async Task Pending_mutations_come_back_in_id_order_after_reopening()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { AddPending = [new(5, "e", "{}"), new(2, "b", "{}"), new(9, "i", "{}")] }, Ct);
        await store.WriteAsync(new LocalWrite { AddPending = [new(1, "a", """{"x":1}"""), new(7, "g", "{}")], RemovePending = [9] }, Ct);

        store = await _harness.ReopenAsync(store);
        var snapshot = await store.LoadAsync(Ct);

        Assert.Equal([1L, 2, 5, 7], snapshot.Pending.Select(p => p.Id));
        Assert.Equal(new PendingMutation(1, "a", """{"x":1}"""), snapshot.Pending[0]);
    }

    [Fact]
    public async Task Removing_pending_ids_that_are_not_stored_is_harmless()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { AddPending = [new(1, "a", "{}")] }, Ct);

        await store.WriteAsync(new LocalWrite { RemovePending = [42, 1, 43] }, Ct);

        Assert.Empty((await store.LoadAsync(Ct)).Pending);
    }

    [Fact]
    public async Task A_pending_mutation_added_and_removed_in_one_write_is_gone()
    {
        var store = await _harness.OpenAsync();

        await store.WriteAsync(new LocalWrite { AddPending = [new(1, "a", "{}"), new(2, "b", "{}")], RemovePending = [1] }, Ct);

        Assert.Equal([new PendingMutation(2, "b", "{}")], (await store.LoadAsync(Ct)).Pending);
    }

    [Fact]
    public async Task Metadata_round_trips_every_field()
    {
        var store = await _harness.OpenAsync();
        var metadata = new LocalMetadata
        {
            ClientId = "client-ü-1",
            UserId = "user \"quoted\"",
            SchemaVersion = 42,
            FirstSyncId = 1234567890123,
            LastSyncId = long.MaxValue,
            SyncGroups = ["team:1", "user:ä\"b", "[]"],
            NextMutationId = 987654321,
        };
        await store.WriteAsync(new LocalWrite { Metadata = metadata }, Ct);

        store = await _harness.ReopenAsync(store);
        var loaded = (await store.LoadAsync(Ct)).Metadata;

        Snapshots.AssertMetadataEqual(metadata, loaded);
        Assert.True(loaded.IsBootstrapped);
    }

    [Fact]
    public async Task Metadata_with_absent_values_replaces_earlier_values()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite
        {
            Metadata = new LocalMetadata { ClientId = "c", UserId = "u", SchemaVersion = 3, LastSyncId = 5, SyncGroups = ["g"] },
        }, Ct);

        await store.WriteAsync(new LocalWrite { Metadata = new LocalMetadata { ClientId = "c", NextMutationId = 4 } }, Ct);
        var loaded = (await store.LoadAsync(Ct)).Metadata;

        Snapshots.AssertMetadataEqual(new LocalMetadata { ClientId = "c", NextMutationId = 4 }, loaded);
        Assert.False(loaded.IsBootstrapped);
    }

    [Fact]
    public async Task A_write_without_metadata_keeps_the_stored_metadata()
    {
        var store = await _harness.OpenAsync();
        var metadata = new LocalMetadata { ClientId = "c", LastSyncId = 10, SyncGroups = ["g"], NextMutationId = 3 };
        await store.WriteAsync(new LocalWrite { Metadata = metadata }, Ct);

        await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")], AddPending = [new(3, "m", "{}")] }, Ct);

        Snapshots.AssertMetadataEqual(metadata, (await store.LoadAsync(Ct)).Metadata);
    }

    [Fact]
    public async Task The_file_can_be_deleted_once_the_store_is_disposed()
    {
        var store = await _harness.OpenAsync();
        await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")] }, Ct);

        await store.DisposeAsync();
        File.Delete(_harness.DatabasePath);
        File.Delete(_harness.DatabasePath + "-wal");
        File.Delete(_harness.DatabasePath + "-shm");
        store = await _harness.OpenAsync();

        Assert.Empty((await store.LoadAsync(Ct)).Records);
    }

    [Fact]
    public async Task A_disposed_store_refuses_to_be_used()
    {
        var store = await _harness.OpenAsync();

        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.LoadAsync(Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.WriteAsync(new LocalWrite(), Ct));
    }

    [Fact]
    public async Task A_store_built_with_its_constructor_opens_the_file_on_first_use()
    {
        var options = new SqliteLocalStoreOptions { Path = _harness.DatabasePath, Synchronous = LocalSynchronous.Normal };
        await using var store = new SqliteLocalStore(options);
        Assert.False(File.Exists(_harness.DatabasePath));

        await store.WriteAsync(new LocalWrite { Records = [new("issue", "1", "{}")] }, Ct);

        Assert.True(File.Exists(_harness.DatabasePath));
        Assert.Single((await store.LoadAsync(Ct)).Records);
    }
}
