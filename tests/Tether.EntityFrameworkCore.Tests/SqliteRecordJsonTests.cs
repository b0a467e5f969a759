using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Internal;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>
/// A bootstrap from an app's SQLite table whose JSON is written from SQLite's values: each record is the JSON
/// System.Text.Json writes for the entity EF Core reads, byte for byte, with the same ids, key order and group
/// filter; a model whose values are not served as stored, or a row stored in a form EF Core does not write, is
/// served through EF Core and System.Text.Json.
/// </summary>
public sealed class SqliteRecordJsonTests : IAsyncLifetime
{
    private static readonly string[] Texts =
    [
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "controls \u0000 \u0001\u0008\t\n\f\r\u001f\u007f",
        "élan 漢字 🙂 \u2028\u2029",
        "<script>&'+`",
        "lone \ud800 surrogate",
    ];

    private AppDatabase? _database;
    private EfStores<ShapesDb>? _stores;
    private ITetherStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private AppDatabase Database => _database!;

    public async ValueTask InitializeAsync()
    {
        _database = await AppDatabase.CreateAsync(postgres: false);
        _stores = new EfStores<ShapesDb>(_database, ShapesModels.Map);
        await _stores.CreateAppTablesAsync();
        _store = _stores.Create();
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_plain_model_of_every_column_type_is_served_from_sqlites_values_with_the_bytes_system_text_json_writes()
    {
        await SaveAsync(PlainRows());

        await using ITetherReadSnapshot snapshot = await _store!.BeginReadAsync(Ct);
        await using IStoredRecordCursor cursor = snapshot.ReadRecords(["plain"], ["team:t1", "team:t3", "user:t2"]);
        List<StoredRecord> read = await ReadAllAsync(cursor);

        SqliteJsonCursor<Plain> sqlite = Assert.IsType<SqliteJsonCursor<Plain>>(cursor);
        Assert.Equal(0, sqlite.Rereads);
        List<Plain> expected = await QueryAsync<Plain>(rows => rows.Where(p => p.Team == "t1" || p.Team == "t3").OrderBy(p => p.Id));
        Assert.Equal(Texts.Length * 2, expected.Count);
        AssertSame(ShapesModels.Plain, expected, p => p.Id, read, ignored: "secret");
    }

    [Fact]
    public async Task A_long_key_is_a_string_id_in_the_keys_order_and_a_constant_group_reads_every_row()
    {
        long[] keys = [10, 9, -5, 0, long.MaxValue, long.MinValue];
        await SaveAsync(keys.Select((key, i) => new Numbered { Id = key, Team = i % 2, Label = Texts[i % Texts.Length] }));

        await using ITetherReadSnapshot snapshot = await _store!.BeginReadAsync(Ct);
        await using IStoredRecordCursor team = snapshot.ReadRecords(["numbered"], ["team:1", "team:01", "team:x"]);
        List<StoredRecord> inTeam = await ReadAllAsync(team);
        await using IStoredRecordCursor everyone = snapshot.ReadRecords(["numbered"], ["team:1", ShapesModels.Everyone]);
        List<StoredRecord> all = await ReadAllAsync(everyone);

        Assert.IsType<SqliteJsonCursor<Numbered>>(team);
        AssertSame(ShapesModels.Numbered, await QueryAsync<Numbered>(rows => rows.Where(n => n.Team == 1).OrderBy(n => n.Id)), n => n.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), inTeam);
        Assert.Equal(["-9223372036854775808", "-5", "0", "9", "10", "9223372036854775807"], all.Select(r => r.Id));
        AssertSame(ShapesModels.Numbered, await QueryAsync<Numbered>(rows => rows.OrderBy(n => n.Id)), n => n.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), all);
        await using IStoredRecordCursor none = snapshot.ReadRecords(["numbered"], ["team:7", "user:1"]);
        Assert.False(await none.ReadAsync(Ct));
    }

    [Fact]
    public async Task A_row_whose_values_were_stored_by_sql_in_another_form_is_served_as_ef_core_reads_it()
    {
        await SaveAsync(PlainRows());
        // Dates EF Core reads but does not write so (raw3's are its own form), a bool stored as 2, text that is not
        // UTF-8, an integer given as text.
        string[] values =
        [
            "'2024-01-02T03:04:05Z'",
            "'2024-01-02 03:04:05.500+02:00'",
            "'2024-01-02 03:04:05-00:00'",
            "'2024-01-02 03:04:05+02:00'",
        ];
        string[] ats =
        [
            "'2024-01-02 03:04:05.1200'",
            "'2024-01-02 03:04:05'",
            "'2024-01-02 3:04:05'",
            "'2024-01-02 03:04:05.1234567'",
        ];
        for (int i = 0; i < values.Length; i++)
        {
            await Database.ExecuteAsync(
                "INSERT INTO plains (\"Id\", \"Team\", \"Text\", \"Flag\", \"Count\", \"Big\", \"Small\", \"Tiny\", \"Unsigned\", \"At\", \"When\", \"Secret\") " +
                $"VALUES ('raw{i}', 't1', 'raw', 2, 7, 8, 9, 10, 11, {ats[i]}, {values[i]}, '')");
        }
        await Database.ExecuteAsync(
            "INSERT INTO plains (\"Id\", \"Team\", \"Text\", \"Flag\", \"Count\", \"Big\", \"Small\", \"Tiny\", \"Unsigned\", \"At\", \"When\", \"Secret\") " +
            "VALUES ('raw8', 't1', CAST(x'C328' AS TEXT), 0, '12', 8, 9, 10, 11, '2024-01-02 03:04:05', '2024-01-02 03:04:05+00:00', '')");

        await using ITetherReadSnapshot snapshot = await _store!.BeginReadAsync(Ct);
        await using IStoredRecordCursor cursor = snapshot.ReadRecords(["plain"], ["team:t1"]);
        List<StoredRecord> read = await ReadAllAsync(cursor);

        // raw0 to raw2 by their When (raw0 and raw2 by their At as well), raw8 by its text.
        Assert.Equal(4, Assert.IsType<SqliteJsonCursor<Plain>>(cursor).Rereads);
        AssertSame(ShapesModels.Plain, await QueryAsync<Plain>(rows => rows.Where(p => p.Team == "t1").OrderBy(p => p.Id)), p => p.Id, read, ignored: "secret");
        Assert.Contains(read, r => r.Id == "raw3" && r.Data.Contains("\"when\":\"2024-01-02T03:04:05+02:00\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_contract_with_an_encoder_of_the_apps_is_written_with_that_encoder()
    {
        await SaveAsync(Texts.Select((text, i) => new Relaxed { Id = $"r{i}", Team = "t1", Text = text }));

        await using ITetherReadSnapshot snapshot = await _store!.BeginReadAsync(Ct);
        await using IStoredRecordCursor cursor = snapshot.ReadRecords(["relaxed"], ["team:t1"]);
        List<StoredRecord> read = await ReadAllAsync(cursor);

        Assert.IsType<SqliteJsonCursor<Relaxed>>(cursor);
        AssertSame(ShapesModels.Relaxed, await QueryAsync<Relaxed>(rows => rows.OrderBy(r => r.Id)), r => r.Id, read);
        Assert.Contains(read, r => r.Data.Contains("<script>&'+`", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_model_whose_values_are_not_served_as_stored_or_whose_rows_ef_core_reads_otherwise_is_served_through_ef_core()
    {
        await SaveAsync([new Mixed { Id = "m1", Team = "t1", Score = 0.1 + 0.2, Shade = Shade.Dark }, new Mixed { Id = "m2", Team = "t2", Score = 1e300 }]);
        await SaveAsync([new Sparse { Id = "s1", Team = "t1" }, new Sparse { Id = "s2", Team = "t1", Note = "n" }]);
        await SaveAsync([new Shouty { Id = "w1", Team = "t1", Word = "quiet" }]);
        await SaveAsync([new Converted { Id = "c1", Team = "t1", Word = "quiet" }]);
        await SaveAsync([new Filtered { Id = "f1", Team = "t1" }, new Filtered { Id = "f2", Team = "t1", Hidden = true }, new Filtered { Id = "f3", Team = "t1" }]);

        await using ITetherReadSnapshot snapshot = await _store!.BeginReadAsync(Ct);
        await AssertServedThroughEfCore(snapshot, ShapesModels.Mixed, m => m.Id, rows => rows.Where(m => m.Team == "t1").OrderBy(m => m.Id));
        await AssertServedThroughEfCore(snapshot, ShapesModels.Sparse, s => s.Id, rows => rows.Where(s => s.Team == "t1").OrderBy(s => s.Id));
        await AssertServedThroughEfCore(snapshot, ShapesModels.Shouty, s => s.Id, rows => rows.Where(s => s.Team == "t1").OrderBy(s => s.Id));
        await AssertServedThroughEfCore(snapshot, ShapesModels.Converted, c => c.Id, rows => rows.Where(c => c.Team == "t1").OrderBy(c => c.Id));
        await AssertServedThroughEfCore(snapshot, ShapesModels.Filtered, f => f.Id, rows => rows.Where(f => f.Team == "t1").OrderBy(f => f.Id));
    }

    private async Task AssertServedThroughEfCore<T>(ITetherReadSnapshot snapshot, SyncModel<T> model, Func<T, string> id, Func<IQueryable<T>, IQueryable<T>> query)
        where T : class
    {
        await using IStoredRecordCursor cursor = snapshot.ReadRecords([model.Name], ["team:t1"]);
        List<StoredRecord> read = await ReadAllAsync(cursor);
        List<T> expected = await QueryAsync(query);
        Assert.NotEmpty(expected);
        AssertSame(model, expected, id, read);
        Assert.IsNotType<SqliteJsonCursor<T>>(cursor);
    }

    private static IEnumerable<Plain> PlainRows()
    {
        DateTime[] ats =
        [
            new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Unspecified).AddTicks(1234567),
            new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            new DateTime(2024, 1, 2, 3, 4, 5, 500, DateTimeKind.Local),
            DateTime.MinValue,
            DateTime.MaxValue,
            new DateTime(1999, 12, 31, 0, 0, 0).AddTicks(1),
            new DateTime(2000, 6, 15, 12, 30, 0).AddTicks(1000000),
        ];
        DateTimeOffset[] whens =
        [
            new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.FromMinutes(330)).AddTicks(1234567),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, 100, TimeSpan.FromHours(-8)),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(14)),
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-14)),
            DateTimeOffset.MinValue,
            DateTimeOffset.MaxValue,
        ];
        string[] teams = ["t1", "t2", "t3"];
        for (int i = 0; i < Texts.Length * 3; i++)
        {
            int n = i % Texts.Length;
            bool odd = i % 2 == 1;
            yield return new Plain
            {
                Id = n % 3 == 0 ? $"é{i}" : n % 3 == 1 ? $"B{i}" : $"a{i}",
                Team = teams[i / Texts.Length],
                Text = Texts[n],
                MaybeText = odd ? null : Texts[(n + 1) % Texts.Length],
                Flag = odd,
                MaybeFlag = n % 3 == 0 ? null : !odd,
                Count = n % 2 == 0 ? int.MinValue + n : int.MaxValue - n,
                MaybeCount = odd ? null : -n,
                Big = n % 2 == 0 ? long.MinValue : long.MaxValue,
                MaybeBig = odd ? long.MinValue : null,
                Small = odd ? short.MinValue : short.MaxValue,
                Tiny = odd ? byte.MinValue : byte.MaxValue,
                Unsigned = odd ? uint.MaxValue : 0,
                At = ats[n],
                MaybeAt = odd ? null : ats[(n + 3) % ats.Length],
                When = whens[n],
                MaybeWhen = odd ? whens[(n + 2) % whens.Length] : null,
                Secret = "never synced",
            };
        }
    }

    /// <summary>Saves <paramref name="rows"/> with a context of the app's that Tether does not watch.</summary>
    private async Task SaveAsync<T>(IEnumerable<T> rows) where T : class
    {
        await using ShapesDb db = NewAppContext();
        db.AddRange(rows);
        await db.SaveChangesAsync(Ct);
    }

    /// <summary>What EF Core reads of the rows, with a context of the app's on a connection of its own.</summary>
    private async Task<List<T>> QueryAsync<T>(Func<IQueryable<T>, IQueryable<T>> query) where T : class
    {
        await using ShapesDb db = NewAppContext();
        return await query(db.Set<T>().AsNoTracking()).ToListAsync(Ct);
    }

    private ShapesDb NewAppContext()
    {
        var options = new DbContextOptionsBuilder<ShapesDb>();
        Database.Configure(options);
        return new ShapesDb(options.Options);
    }

    /// <summary>The records are the entities, in order: the same ids, and the JSON the model's contract writes
    /// (without the <paramref name="ignored"/> property), byte for byte.</summary>
    private static void AssertSame<T>(SyncModel<T> model, List<T> expected, Func<T, string> id, List<StoredRecord> read, string? ignored = null)
        where T : class
    {
        Assert.Equal(expected.Select(id), read.Select(r => r.Id));
        Assert.All(read, r => Assert.Equal(model.Name, r.ModelName));
        var served = new JsonSerializerOptions(model.Json.Options)
        {
            TypeInfoResolver = model.Json.Options.TypeInfoResolver!.WithAddedModifier(contract =>
            {
                if (contract.Type == typeof(T) && contract.Properties.FirstOrDefault(p => p.Name == ignored) is { } property)
                {
                    contract.Properties.Remove(property);
                }
            }),
        };
        for (int i = 0; i < expected.Count; i++)
        {
            JsonObject written = JsonNode.Parse(JsonSerializer.Serialize(expected[i], model.Json))!.AsObject();
            if (ignored is not null)
            {
                Assert.True(written.Remove(ignored));
            }
            JsonObject data = JsonNode.Parse(read[i].Data)!.AsObject();
            Assert.True(JsonNode.DeepEquals(written, data), $"{read[i].Id}: {read[i].Data} is not {written.ToJsonString()}");
            Assert.Equal(written.Select(p => p.Key), data.Select(p => p.Key));
            Assert.Equal(JsonSerializer.Serialize(expected[i], served), read[i].Data);
        }
    }

    private static async Task<List<StoredRecord>> ReadAllAsync(IStoredRecordCursor records)
    {
        var list = new List<StoredRecord>();
        while (await records.ReadAsync(Ct))
        {
            list.Add(new StoredRecord(records.ModelName, Encoding.UTF8.GetString(records.Id), Encoding.UTF8.GetString(records.Data)));
        }
        return list;
    }
}
