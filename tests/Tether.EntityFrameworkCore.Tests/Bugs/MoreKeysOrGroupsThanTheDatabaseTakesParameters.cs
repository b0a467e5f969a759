using System.Globalization;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests.Bugs;

/// <summary>
/// EF Core 10 sends a list in a SQLite query as one parameter per value, and SQLite takes at most 32766: a commit
/// writing more rows of one model than that, or a bootstrap of a user in more groups, failed with "too many SQL
/// variables". Keys are now queried in chunks and groups as one array parameter. (Npgsql sends a list as one array
/// parameter already; the test runs there too.)
/// </summary>
public abstract class MoreKeysOrGroupsThanTheDatabaseTakesParameters
{
    private const int Count = 70_000;

    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task A_commit_of_more_rows_and_a_read_of_more_groups_than_the_database_takes_parameters_both_work()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using AppDatabase database = await AppDatabase.CreateAsync(OnPostgres);
        await using var stores = new EfStores<BoardDb>(database, BoardModels.Map);
        await stores.CreateAppTablesAsync();
        await using ITetherStore store = stores.Create();
        await store.InitializeAsync(ct);
        string[] ids = [.. Enumerable.Range(1, Count).Select(i => i.ToString(CultureInfo.InvariantCulture))];

        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(ct))
        {
            await transaction.CommitAsync(new WriteBatch { Records = [.. ids.Select(id => new RecordWrite("tag", id, $$"""{"id":"{{id}}","label":"t"}""", [BoardModels.PublicGroup]))] }, ct);
        }
        // Written again: every one of them is now an existing row to update.
        await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(ct))
        {
            await transaction.CommitAsync(new WriteBatch { Records = [.. ids.Select(id => new RecordWrite("tag", id, $$"""{"id":"{{id}}","label":"again"}""", [BoardModels.PublicGroup]))] }, ct);
        }

        Assert.Equal((long)Count, Convert.ToInt64(await database.ScalarAsync("SELECT count(*) FROM tags WHERE \"Label\" = 'again'")));
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(ct);
        await using IStoredRecordCursor members = snapshot.ReadRecords(["member"], [.. ids.Select(id => "team:" + id)]);
        Assert.False(await members.ReadAsync(ct));
    }
}

public sealed class SqliteMoreKeysOrGroupsThanTheDatabaseTakesParameters : MoreKeysOrGroupsThanTheDatabaseTakesParameters
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlMoreKeysOrGroupsThanTheDatabaseTakesParameters : MoreKeysOrGroupsThanTheDatabaseTakesParameters
{
    protected override bool OnPostgres => true;
}
