using System.Reflection;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tether.EntityFrameworkCore.Internal;
using Tether.Server.PostgreSql;
using Tether.Server.Storage;
using Tether.Mutators;
using Record = Tether.Mutators.Record;

namespace Tether.EntityFrameworkCore.Tests.Wal;

/// <summary>
/// An EF-backed store on PostgreSQL and the synced tables it gave the built-in store, with the rows of those tables
/// as a plain <see cref="NpgsqlDataReader"/> reads them: each column as its <see cref="PgSyncedColumn.ClrType"/>,
/// SQL NULL as null, the values the write-ahead log gives a <see cref="PgSyncedTable"/>.
/// </summary>
public sealed class WalRows<TDb> : IAsyncDisposable where TDb : DbContext
{
    private static readonly MethodInfo GetFieldValue = typeof(NpgsqlDataReader).GetMethod(nameof(NpgsqlDataReader.GetFieldValue), [typeof(int)])!;

    private readonly EfStores<TDb> _stores;
    private readonly IServiceProvider _services;
    private readonly PostgreSqlStoreOptions _options;

    private WalRows(AppDatabase database, EfStores<TDb> stores, IServiceProvider services, PostgreSqlStoreOptions options)
    {
        Database = database;
        _stores = stores;
        _services = services;
        _options = options;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public AppDatabase Database { get; }

    internal EfTetherStore<TDb> Store => _services.GetRequiredService<EfTetherStore<TDb>>();

    /// <summary>The synced tables the EF-backed store added to the built-in store's options.</summary>
    public IList<PgSyncedTable> Tables => _options.SyncedTables;

    /// <summary>The app's tables made on a fresh PostgreSQL database, and the store initialized on it.</summary>
    public static async Task<WalRows<TDb>> StartAsync(Action<EntityFrameworkSyncBuilder<TDb>> map)
    {
        AppDatabase database = await AppDatabase.CreateAsync(postgres: true);
        PostgreSqlStoreOptions? given = null;
        var stores = new EfStores<TDb>(database, sync =>
        {
            map(sync);
            sync.PostgreSql(options => given = options);
        });
        await stores.CreateAppTablesAsync();
        IServiceProvider services = stores.CreateWithServices();
        await services.GetRequiredService<ITetherStore>().InitializeAsync(Ct);
        return new WalRows<TDb>(database, stores, services, given!);
    }

    /// <summary>Runs <paramref name="write"/> on a context of the app's and saves its changes.</summary>
    public async Task SaveAsync(Action<TDb> write)
    {
        await using AsyncServiceScope scope = _services.CreateAsyncScope();
        TDb db = scope.ServiceProvider.GetRequiredService<TDb>();
        write(db);
        await db.SaveChangesAsync(Ct);
    }

    /// <summary>Every row of <paramref name="table"/>, its columns in the table's order.</summary>
    public async Task<List<object?[]>> SelectAsync(PgSyncedTable table)
    {
        await using var connection = new NpgsqlConnection(Database.PostgresConnection);
        await connection.OpenAsync(Ct);
        string columns = string.Join(", ", table.Columns.Select(column => Quoted(column.Name)));
        await using var command = new NpgsqlCommand($"SELECT {columns} FROM {Quoted(table.Schema)}.{Quoted(table.Table)}", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(Ct))
        {
            var values = new object?[table.Columns.Count];
            for (int i = 0; i < values.Length; i++)
            {
                // What Npgsql reads the column as when not told (Get<object>, as a decoder may), is the declared type.
                Assert.Equal(table.Columns[i].ClrType, reader.GetFieldType(i));
                values[i] = reader.IsDBNull(i) ? null : GetFieldValue.MakeGenericMethod(table.Columns[i].ClrType).Invoke(reader, [i]);
            }
            rows.Add(values);
        }
        return rows;
    }

    /// <summary>Reads every row of every synced table from its column values as a SELECT gives them, and checks it
    /// is the record the store serves (<see cref="AssertReadsAsServedAsync"/>). Returns how many rows each table has.</summary>
    public async Task<Dictionary<string, int>> AssertEveryRowReadsAsServedAsync()
    {
        var rows = new List<(PgSyncedTable, object?[])>();
        var counts = new Dictionary<string, int>();
        foreach (PgSyncedTable table in Tables)
        {
            List<object?[]> selected = await SelectAsync(table);
            rows.AddRange(selected.Select(values => (table, values)));
            counts[table.ModelName] = selected.Count;
        }
        await AssertReadsAsServedAsync(rows);
        return counts;
    }

    /// <summary>Reads each row from its column values and checks it is the record the store serves now: the id and
    /// byte-for-byte JSON bootstrap reads, the record's groups, and the users whose groups the row decides as the
    /// model gives them for the entity EF Core reads.</summary>
    public async Task AssertReadsAsServedAsync(IEnumerable<(PgSyncedTable Table, object?[] Values)> rows)
    {
        await using ITetherReadSnapshot snapshot = await Store.BeginReadAsync(Ct);
        await using AsyncServiceScope scope = _services.CreateAsyncScope();
        TDb db = scope.ServiceProvider.GetRequiredService<TDb>();
        foreach ((PgSyncedTable table, object?[] values) in rows)
        {
            MappedModel model = Store.Mapping.Find(table.ModelName)!;
            PgSyncedRow row = table.Read(values);

            Assert.NotEmpty(row.SyncGroups);
            StoredRecord served = Assert.Single(await ReadAllAsync(snapshot.ReadRecords([table.ModelName], row.SyncGroups)), record => record.Id == row.Id);
            Assert.Equal(served.Data, row.Json);
            Record? record = await snapshot.GetRecordAsync(table.ModelName, row.Id, Ct);
            Assert.Equal(record!.SyncGroups, row.SyncGroups);
            Internal.Capture.RowImage expected = (await model.ReadRowsAsync(db, [row.Id], Ct))[row.Id];
            Assert.Equal(expected.Json, row.Json);
            Assert.Equal(expected.SyncGroups, row.SyncGroups);
            Assert.Equal(expected.GroupOwners, row.GroupOwners);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stores.DisposeAsync();
        await Database.DisposeAsync();
    }

    private static string Quoted(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<List<StoredRecord>> ReadAllAsync(IStoredRecordCursor records)
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
}
