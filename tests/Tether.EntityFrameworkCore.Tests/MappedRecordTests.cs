using Npgsql;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Mutators;
using Record = Tether.Mutators.Record;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>Records of mapped models through the EF-backed store: rows of the app's tables, their groups from their
/// columns, read in the database's snapshot.</summary>
public abstract class MappedRecordTests : IAsyncLifetime
{
    protected static readonly Guid BoardId = Guid.Parse("6f1c2a9e-3b47-4d2a-9c1e-0a5b7d8e9f10");
    private readonly List<ITetherStore> _opened = [];
    private AppDatabase? _database;
    private EfStores<BoardDb>? _stores;

    protected abstract bool OnPostgres { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected AppDatabase Database => _database!;

    public async ValueTask InitializeAsync()
    {
        _database = await AppDatabase.CreateAsync(OnPostgres);
        _stores = new EfStores<BoardDb>(_database, BoardModels.Map);
        await _stores.CreateAppTablesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ITetherStore store in _opened)
        {
            await store.DisposeAsync();
        }
        if (_stores is not null)
        {
            await _stores.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_put_inserts_a_row_of_the_apps_table_whose_columns_give_the_records_groups()
    {
        ITetherStore store = await OpenAsync();

        await CommitAsync(store, Board("t1"), Card("c1", "t1", "ann", "Tea élan"));

        Assert.Equal("t1", await Database.ScalarAsync("SELECT \"TeamId\" FROM cards WHERE \"Id\" = 'c1'"));
        Assert.Equal("ann", await Database.ScalarAsync("SELECT \"Assignee\" FROM cards WHERE \"Id\" = 'c1'"));
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Record? card = await snapshot.GetRecordAsync("card", "c1", Ct);
        Assert.NotNull(card);
        Assert.Equal(CardJson("c1", "t1", "ann", "Tea élan"), card.Data.ToJsonString());
        Assert.Equal(["team:t1", "user:ann"], card.SyncGroups);
        Assert.Equal(["c1"], (await snapshot.ListRecordsAsync("card", "user:ann", Ct)).Select(r => r.Id));
        Assert.Null(await snapshot.GetRecordAsync("card", "c2", Ct));
    }

    [Fact]
    public async Task A_put_again_replaces_the_synced_columns_and_moves_the_record_to_the_groups_of_its_new_values()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"), Card("c1", "t1", "ann"));

        await CommitAsync(store, Card("c1", "t2", null, "Moved", points: 5));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Record? card = await snapshot.GetRecordAsync("card", "c1", Ct);
        Assert.Equal(["team:t2"], card?.SyncGroups);
        Assert.Equal(CardJson("c1", "t2", null, "Moved", 5), card?.Data.ToJsonString());
        Assert.Empty(await snapshot.ListRecordsAsync("card", "team:t1", Ct));
        Assert.Empty(await snapshot.ListRecordsAsync("card", "user:ann", Ct));
        Assert.Empty(await ReadAllAsync(snapshot.ReadRecords(["card"], ["team:t1", "user:ann"])));
        Assert.Equal(["c1"], (await ReadAllAsync(snapshot.ReadRecords(["card"], ["team:t2"]))).Select(r => r.Id));
        Assert.Equal(1L, Convert.ToInt64(await Database.ScalarAsync("SELECT count(*) FROM cards")));
    }

    [Fact]
    public async Task A_delete_removes_the_row()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"), Card("c1", "t1", "ann"), Card("c2", "t1", "ann"));

        await CommitAsync(store, new RecordWrite("card", "c1", null, []));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Null(await snapshot.GetRecordAsync("card", "c1", Ct));
        Assert.Equal(["c2"], (await snapshot.ListRecordsAsync("card", "team:t1", Ct)).Select(r => r.Id));
        Assert.Equal(1L, Convert.ToInt64(await Database.ScalarAsync("SELECT count(*) FROM cards")));
    }

    [Fact]
    public async Task Bootstrap_reads_each_row_in_any_of_the_groups_once_by_model_then_key_beside_json_records()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store,
            Board("t1"),
            Card("c2", "t1", "ann"),
            Card("c1", "t2", "ann"),
            Card("c3", "t3", "bob"),
            Tag(10, "ten"),
            Tag(9, "nine"),
            new RecordWrite("comment", "x1", """{"id":"x1"}""", ["team:t1"]),
            new RecordWrite("comment", "x2", """{"id":"x2"}""", ["team:t3"]));

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        List<StoredRecord> rows = await ReadAllAsync(snapshot.ReadRecords(["tag", "card", "comment", "board"], ["team:t1", "user:ann", BoardModels.PublicGroup]));

        // Tag keys are numbers: they come in the key's order, as the database sorts its own keys.
        Assert.Equal(
            [("board", BoardId.ToString()), ("card", "c1"), ("card", "c2"), ("comment", "x1"), ("tag", "9"), ("tag", "10")],
            rows.Select(r => (r.ModelName, r.Id)));
        Assert.Equal(CardJson("c2", "t1", "ann"), rows[2].Data);
        Assert.Equal("""{"id":"10","label":"ten"}""", rows[5].Data);
        Assert.Empty(await ReadAllAsync(snapshot.ReadRecords(["card", "tag"], ["team:t9"])));
    }

    [Fact]
    public async Task Keyset_reads_stream_the_rows_of_a_group_after_an_id_in_key_order()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, [Board("t1"), .. new[] { "b", "a", "c" }.Select(id => Card(id, "t1", null)), Card("d", "t2", null), .. Enumerable.Range(1, 12).Select(i => Tag(i, "t"))]);

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(["a", "b", "c"], (await ToListAsync(snapshot.ReadRecordsAfterAsync("card", "team:t1", "", Ct))).Select(r => r.Id));
        Assert.Equal(["b", "c"], (await ToListAsync(snapshot.ReadRecordsAfterAsync("card", "team:t1", "a", Ct))).Select(r => r.Id));
        Assert.Equal(["10", "11", "12"], (await ToListAsync(snapshot.ReadRecordsAfterAsync("tag", BoardModels.PublicGroup, "9", Ct))).Select(r => r.Id));
        Assert.Equal(CardJson("c", "t1", null), (await ToListAsync(snapshot.ReadRecordsAfterAsync("card", "team:t1", "b", Ct))).Single().Data);
    }

    [Fact]
    public async Task A_snapshot_does_not_see_rows_committed_after_it_began_and_the_writer_reads_what_is_committed()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"), Card("c1", "t1", null));

        await using ITetherReadSnapshot before = await store.BeginReadAsync(Ct);
        await CommitAsync(store, Card("c2", "t1", null), Card("c1", "t1", null, "Changed"));

        Assert.Equal(["c1"], (await ReadAllAsync(before.ReadRecords(["card"], ["team:t1"]))).Select(r => r.Id));
        Assert.Equal("A card", (string?)(await before.GetRecordAsync("card", "c1", Ct))?.Data["title"]);
        Assert.Null(await before.GetRecordAsync("card", "c2", Ct));
        await using ITetherWriteTransaction writer = await store.BeginWriteAsync(Ct);
        Assert.Equal("Changed", (string?)(await writer.GetRecordAsync("card", "c1", Ct))?.Data["title"]);
        Assert.Equal(["c1", "c2"], (await writer.ListRecordsAsync("card", "team:t1", Ct)).Select(r => r.Id));
    }

    [Fact]
    public async Task An_ignored_column_is_never_served_and_a_put_leaves_what_the_app_wrote_in_it()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"));
        await using (BoardDb app = NewAppContext())
        {
            app.Cards.Add(new Card { Id = "c1", BoardId = BoardId, TeamId = "t1", Title = "By the app", InternalNotes = "secret" });
            await app.SaveChangesAsync(Ct);
        }

        await CommitAsync(store, Card("c1", "t1", null, "By a mutator"));

        Assert.Equal("secret", await Database.ScalarAsync("SELECT \"InternalNotes\" FROM cards WHERE \"Id\" = 'c1'"));
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        StoredRecord row = Assert.Single(await ReadAllAsync(snapshot.ReadRecords(["card"], ["team:t1"])));
        Assert.Equal(CardJson("c1", "t1", null, "By a mutator"), row.Data);
        Assert.DoesNotContain("secret", row.Data, StringComparison.Ordinal);
        Assert.False((await snapshot.GetRecordAsync("card", "c1", Ct))!.Data.ContainsKey("internalNotes"));
    }

    [Fact]
    public async Task A_records_shape_is_its_rows_json_and_the_rules_groups_and_data_the_entity_cannot_hold_is_invalid_args()
    {
        IServiceProvider services = _stores!.CreateWithServices();
        ITetherStore store = Track(services.GetRequiredService<ITetherStore>());
        await store.InitializeAsync(Ct);
        IAppRecordModels models = services.GetRequiredService<IAppRecordModels>();

        AppRecordShape shape = models.Shape("card", "c1", Json($$"""{"title":"T","assignee":"ann","id":"c1","teamId":"t1","boardId":"{{BoardId}}"}"""));
        Assert.Equal(CardJson("c1", "t1", "ann", "T"), shape.Data);
        Assert.Equal(["team:t1", "user:ann"], shape.SyncGroups);
        Assert.True(models.Owns("card"));
        Assert.False(models.Owns("comment"));

        string[] messages =
        [
            Refused(models, "card", "c1", $$"""{"id":"c1","teamId":"t1","boardId":"{{BoardId}}","color":"red"}"""),
            Refused(models, "card", "c1", $$"""{"id":"c1","teamId":"t1","boardId":"{{BoardId}}","points":"many"}"""),
            Refused(models, "card", "c1", $$"""{"id":"c1","teamId":"t1","boardId":"{{BoardId}}","internalNotes":"overwritten"}"""),
            Refused(models, "card", "c1", """{"id":"c1","teamId":"t1","boardId":"not a guid"}"""),
            Refused(models, "board", "board-1", """{"id":"board-1","teamId":"t1"}"""),
            Refused(models, "board", BoardId.ToString().ToUpperInvariant(), $$"""{"id":"{{BoardId.ToString().ToUpperInvariant()}}","teamId":"t1"}"""),
            Refused(models, "tag", "007", """{"id":"007","label":"x"}"""),
        ];
        Assert.All(messages, message =>
        {
            Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
        });
        Assert.Contains("$.color", messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_of_a_mapped_model_are_not_kept_as_json_records()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"), Card("c1", "t1", null), new RecordWrite("comment", "x1", """{"id":"x1"}""", ["team:t1"]));

        // Dropping the app's row leaves no card anywhere: the store kept it only there.
        await Database.ExecuteAsync("DELETE FROM cards");
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Null(await snapshot.GetRecordAsync("card", "c1", Ct));
        Assert.Equal([("comment", "x1")], (await ReadAllAsync(snapshot.ReadRecords(["card", "comment"], ["team:t1"]))).Select(r => (r.ModelName, r.Id)));
    }

    private static string Refused(IAppRecordModels models, string model, string id, string json)
    {
        MutationRejectedException refused = Assert.Throws<MutationRejectedException>(() => models.Shape(model, id, Json(json)));
        Assert.Equal("invalid_args", refused.Code);
        return refused.Message;
    }

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private BoardDb NewAppContext()
    {
        var options = new DbContextOptionsBuilder<BoardDb>();
        Database.Configure(options);
        return new BoardDb(options.Options);
    }

    protected async Task<ITetherStore> OpenAsync()
    {
        ITetherStore store = Track(_stores!.Create());
        await store.InitializeAsync(Ct);
        return store;
    }

    private ITetherStore Track(ITetherStore store)
    {
        _opened.Add(store);
        return store;
    }

    protected static async Task CommitAsync(ITetherStore store, params RecordWrite[] records)
    {
        await using ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct);
        await transaction.CommitAsync(new WriteBatch { Records = records }, Ct);
    }

    protected static RecordWrite Board(string team) => new("board", BoardId.ToString(), $$"""{"id":"{{BoardId}}","teamId":"{{team}}","name":"Board"}""", ["team:" + team]);

    internal static string CardJson(string id, string team, string? assignee, string title = "A card", int points = 0)
        => new JsonObject
        {
            ["id"] = id,
            ["boardId"] = BoardId.ToString(),
            ["teamId"] = team,
            ["assignee"] = assignee,
            ["title"] = title,
            ["points"] = points,
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = BoardModels.Card.Json.Options.Encoder });

    protected static RecordWrite Card(string id, string team, string? assignee, string title = "A card", int points = 0)
        => new("card", id, CardJson(id, team, assignee, title, points), assignee is null ? ["team:" + team] : ["team:" + team, "user:" + assignee]);

    private static RecordWrite Tag(int id, string label) => new("tag", id.ToString(System.Globalization.CultureInfo.InvariantCulture), $$"""{"id":"{{id}}","label":"{{label}}"}""", [BoardModels.PublicGroup]);

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

    private static async Task<List<StoredRecord>> ToListAsync(IAsyncEnumerable<StoredRecord> records)
    {
        var list = new List<StoredRecord>();
        await foreach (StoredRecord record in records)
        {
            list.Add(record);
        }
        return list;
    }
}

public sealed class SqliteMappedRecordTests : MappedRecordTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlMappedRecordTests : MappedRecordTests
{
    protected override bool OnPostgres => true;

    // On SQLite no other writer can insert while the store's writer holds the file's write lock.
    [Fact]
    public async Task A_put_of_a_row_the_writer_read_as_absent_that_another_writer_inserted_since_is_a_conflict_and_leaves_that_row()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"));
        await using ITetherWriteTransaction writer = await store.BeginWriteAsync(Ct);
        Assert.Null(await writer.GetRecordAsync("card", "c1", Ct));

        // Raw SQL outside any SERIALIZABLE transaction: PostgreSQL reports the duplicate key itself.
        await Database.ExecuteAsync($"""INSERT INTO cards ("Id", "BoardId", "TeamId", "Title", "Points", "InternalNotes") VALUES ('c1', '{BoardId}', 't1', 'By raw SQL', 1, '')""");
        WriteConflictException conflict = await Assert.ThrowsAsync<WriteConflictException>(
            async () => await writer.CommitAsync(new WriteBatch { Records = [Card("c1", "t1", null, "By a mutator")] }, Ct));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(conflict.InnerException?.InnerException).SqlState);
        Assert.Equal("By raw SQL", await Database.ScalarAsync("SELECT \"Title\" FROM cards WHERE \"Id\" = 'c1'"));
    }

    [Fact]
    public async Task Of_two_writers_that_both_read_a_row_as_absent_and_insert_it_the_second_to_commit_conflicts_and_its_retry_reads_the_first_ones_row()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"));
        await using ITetherWriteTransaction first = await store.BeginWriteAsync(Ct);
        await using ITetherWriteTransaction second = await store.BeginWriteAsync(Ct);
        Assert.Null(await first.GetRecordAsync("card", "c1", Ct));
        Assert.Null(await second.GetRecordAsync("card", "c1", Ct));

        await first.CommitAsync(new WriteBatch { Records = [Card("c1", "t1", null, "First")] }, Ct);
        await Assert.ThrowsAsync<WriteConflictException>(
            async () => await second.CommitAsync(new WriteBatch { Records = [Card("c1", "t1", null, "Second")] }, Ct));

        await using ITetherWriteTransaction retry = await store.BeginWriteAsync(Ct);
        Record? read = await retry.GetRecordAsync("card", "c1", Ct);
        Assert.Equal("First", (string?)read?.Data["title"]);
        Assert.Equal("First", await Database.ScalarAsync("SELECT \"Title\" FROM cards WHERE \"Id\" = 'c1'"));
    }

    [Fact]
    public async Task A_row_the_database_refuses_for_good_stays_a_refusal_of_its_record()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, Board("t1"));
        await using ITetherWriteTransaction writer = await store.BeginWriteAsync(Ct);
        Assert.Null(await writer.GetRecordAsync("card", "c1", Ct));

        // The title breaks the table's CHECK constraint.
        RecordRefusedException refused = await Assert.ThrowsAsync<RecordRefusedException>(
            async () => await writer.CommitAsync(new WriteBatch { Records = [Card("c1", "t1", null, "")] }, Ct));

        Assert.Equal(("card", "c1"), (refused.ModelName, refused.Id));
    }
}
