using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests.Wal;

/// <summary>On PostgreSQL a mapped entity that cannot be built from one row of the write-ahead log, or whose rows
/// Tether's EF Core queries would not all see (a global query filter), stops the server at startup, with one line per
/// problem; SQLite, which has no such log, serves it.</summary>
public sealed class SyncedTableRefusalTests
{
    [Fact]
    public async Task On_PostgreSQL_startup_names_every_model_that_cannot_be_read_from_the_write_ahead_log_with_its_reason()
    {
        await using AppDatabase database = await AppDatabase.CreateAsync(postgres: true);
        await using var stores = new EfStores<UnreadableDb>(database, UnreadableModels.Map);
        await using ITetherStore store = stores.Create();

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith("The synced models of UnreadableDb cannot be read from PostgreSQL's write-ahead log:", error.Message, StringComparison.Ordinal);
        Assert.Equal(
            [
                "- The model 'address' (Address): the entity is owned by Holder; Tether builds a synced row from the write-ahead log as an entity of its own table.",
                "- The model 'dog' (Dog): the entity is part of an inheritance hierarchy (TPH); Tether builds a synced row from the write-ahead log as an entity of one type, alone in its table.",
                "- The model 'vehicle' (Vehicle): the entity is part of an inheritance hierarchy (TPT); Tether builds a synced row from the write-ahead log as an entity of one type, alone in its table.",
                "- The model 'order' (Order): its table Orders is shared with OrderDetail (table splitting); Tether builds a synced row from the write-ahead log as an entity alone in its table.",
                "- The model 'split' (Split): its column Extra is not in the table SplitMain (entity splitting); Tether builds a synced row from the write-ahead log from one table's row.",
                "- The model 'built' (Built): the entity has no constructor without parameters; Tether builds a synced row from the write-ahead log with one, then sets its columns.",
                "- The model 'listed' (Listed): its column Labels is a text[], which Tether does not read from the write-ahead log.",
                "- The model 'ruling' (Ruling): its rule DecidesSyncGroupsOf(r => r.Owner) reads Owner, which is not a column of the entity; Tether computes it from the columns the write-ahead log gives.",
                "- The model 'ruling' (Ruling): its rule DecidesSyncGroupsOf(r => OwnerOf(r)) reads the entity other than through its members; Tether computes it from the columns the write-ahead log gives.",
                "- The model 'frozen' (Frozen): its column Name is set through a read-only field; Tether builds a synced row from the write-ahead log by setting each column.",
                "- The model 'archivable' (Archivable): the entity has a global query filter (HasQueryFilter); Tether reads every row of its table from the write-ahead log, but through EF Core only the rows the filter keeps. Remove the filter from a synced entity (filter in the app's queries instead).",
            ],
            error.Message.Split(Environment.NewLine)[1..]);
    }

    [Fact]
    public async Task On_SQLite_the_same_models_are_served()
    {
        await using AppDatabase database = await AppDatabase.CreateAsync(postgres: false);
        await using var stores = new EfStores<UnreadableDb>(database, UnreadableModels.Map);
        await stores.CreateAppTablesAsync();
        await using ITetherStore store = stores.Create();

        await store.InitializeAsync(TestContext.Current.CancellationToken);

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(TestContext.Current.CancellationToken);
        Assert.Empty(await snapshot.ListRecordsAsync("dog", "all", TestContext.Current.CancellationToken));
    }
}
