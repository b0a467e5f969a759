using Npgsql;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.EntityFrameworkCore.Tests.Specification;
using Tether.Server.PostgreSql;

namespace Tether.EntityFrameworkCore.Tests.Wal;

/// <summary>On PostgreSQL every mapped model's table is given to the built-in store as a synced table, and a row read
/// from its column values (as the write-ahead log gives them) is exactly the record the EF-backed store serves.</summary>
public sealed class SyncedTableTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Guid BoardA = Guid.Parse("0b7d5c1e-8a43-4f6e-9d21-3c4b5a697081");
    private static readonly Guid BoardB = Guid.Parse("f2e1d0c9-b8a7-4695-8473-62514f3e2d1c");

    [Fact]
    public async Task A_PostgreSQL_store_gets_one_synced_table_per_mapped_model_named_as_the_database_names_its_table_and_columns()
    {
        await using WalRows<KindsDb> kinds = await WalRows<KindsDb>.StartAsync(KindsModels.Map);
        await using WalRows<BoardDb> boards = await WalRows<BoardDb>.StartAsync(BoardModels.Map);

        Assert.Equal(
            [("wal", "kinds", "kind")],
            kinds.Tables.Select(table => (table.Schema, table.Table, table.ModelName)));
        Assert.Equal(
            [("public", "boards", "board"), ("public", "cards", "card"), ("public", "members", "member"), ("public", "tags", "tag"), ("public", "stickers", "sticker")],
            boards.Tables.Select(table => (table.Schema, table.Table, table.ModelName)));
        // The key, the JSON's columns in its order, then what the group-owner rule reads; never an ignored column.
        Assert.Equal(
            [("Id", typeof(string)), ("BoardId", typeof(Guid)), ("TeamId", typeof(string)), ("Assignee", typeof(string)), ("Title", typeof(string)), ("Points", typeof(int))],
            boards.Tables[1].Columns.Select(column => (column.Name, column.ClrType)));
        // Each as Npgsql reads its column type when not told (a DateTimeOffset's timestamptz is a DateTime, a
        // DateTime's date a DateOnly) and as EF Core's converters store it (enums as numbers or names, a TimeSpan as
        // ticks); last the ignored column an owner rule reads.
        Assert.Equal(
            [
                ("Id", typeof(Guid)), ("Team", typeof(string)), ("Text", typeof(string)), ("MaybeText", typeof(string)), ("Count", typeof(int)),
                ("MaybeCount", typeof(int)), ("Big", typeof(long)), ("MaybeBig", typeof(long)), ("Small", typeof(short)), ("Tiny", typeof(short)),
                ("Flag", typeof(bool)), ("MaybeFlag", typeof(bool)), ("Ref", typeof(Guid)), ("MaybeRef", typeof(Guid)), ("At", typeof(DateTime)),
                ("MaybeAt", typeof(DateTime)), ("Local", typeof(DateTime)), ("When", typeof(DateTime)), ("MaybeWhen", typeof(DateTime)),
                ("Day", typeof(DateOnly)), ("MaybeDay", typeof(DateOnly)), ("Time", typeof(TimeOnly)), ("Birthday", typeof(DateOnly)),
                ("Clock", typeof(TimeOnly)), ("Elapsed", typeof(TimeSpan)), ("MaybeElapsed", typeof(TimeSpan)), ("Price", typeof(decimal)),
                ("MaybePrice", typeof(decimal)), ("Score", typeof(double)), ("MaybeScore", typeof(double)), ("Ratio", typeof(float)),
                ("Size", typeof(int)), ("MaybeSize", typeof(int)), ("label_text", typeof(string)), ("MaybeLabel", typeof(string)),
                ("Duration", typeof(long)), ("Word", typeof(string)), ("Blob", typeof(byte[])), ("Owner", typeof(string))
            ],
            kinds.Tables[0].Columns.Select(column => (column.Name, column.ClrType)));
        foreach ((AppDatabase database, PgSyncedTable table) in kinds.Tables.Select(t => (kinds.Database, t)).Concat(boards.Tables.Select(t => (boards.Database, t))))
        {
            Assert.Equal(
                table.Columns.Select(column => column.Name).Order(StringComparer.Ordinal),
                (await ColumnsAsync(database, table.Schema, table.Table)).Intersect(table.Columns.Select(column => column.Name)).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Every_row_of_the_test_apps_models_read_from_its_columns_is_the_record_the_store_serves()
    {
        await using WalRows<BoardDb> rows = await WalRows<BoardDb>.StartAsync(BoardModels.Map);
        await rows.SaveAsync(db =>
        {
            db.Boards.AddRange(new Board { Id = BoardA, TeamId = "t1", Name = "Plans" }, new Board { Id = BoardB, TeamId = "t2", Name = "Ideas \"quoted\"" });
            db.Cards.AddRange(
                new Card { Id = "c1", BoardId = BoardA, TeamId = "t1", Assignee = "ann", Title = "Tea élan ☕", Points = 3, InternalNotes = "never synced" },
                new Card { Id = "c2", BoardId = BoardB, TeamId = "t2", Assignee = null, Title = "No one's\n<b>", Points = -1 });
            db.Members.AddRange(new Member { Id = "t1:ann", TeamId = "t1", UserId = "ann" }, new Member { Id = "t2:bob", TeamId = "t2", UserId = "bob" });
            db.Tags.AddRange(new Tag { Id = 7, Label = "seven" }, new Tag { Id = -2, Label = "" });
            db.Stickers.AddRange(new Sticker { TeamId = "t1", Text = "generated key" }, new Sticker { TeamId = "t2", Text = "another" });
        });

        Dictionary<string, int> read = await rows.AssertEveryRowReadsAsServedAsync();

        Assert.Equal(new Dictionary<string, int> { ["board"] = 2, ["card"] = 2, ["member"] = 2, ["tag"] = 2, ["sticker"] = 2 }, read);
    }

    [Fact]
    public async Task A_membership_row_read_from_its_columns_names_the_user_whose_groups_it_decides()
    {
        await using WalRows<BoardDb> rows = await WalRows<BoardDb>.StartAsync(BoardModels.Map);
        await rows.SaveAsync(db => db.Members.Add(new Member { Id = "t1:ann", TeamId = "t1", UserId = "ann" }));
        PgSyncedTable members = rows.Tables.Single(table => table.ModelName == "member");

        PgSyncedRow row = members.Read(Assert.Single(await rows.SelectAsync(members)));

        Assert.Equal(new PgSyncedRow("t1:ann", """{"id":"t1:ann","teamId":"t1","userId":"ann"}""", ["team:t1", "user:ann"], ["ann"]), row, RowComparer.Instance);
    }

    [Fact]
    public async Task Every_row_of_the_shapes_models_read_from_its_columns_is_the_record_the_store_serves()
    {
        await using WalRows<ShapesDb> rows = await WalRows<ShapesDb>.StartAsync(sync => ShapesModels.Map(sync, filtered: false));
        var at = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1230);
        await rows.SaveAsync(db =>
        {
            db.Add(new Plain { Id = "p1", Team = "t1", Text = "x", Flag = true, Count = 2, Big = 9_000_000_000, Small = -3, Tiny = 250, Unsigned = 4_000_000_000, At = at, When = new DateTimeOffset(at), Secret = "s" });
            db.Add(new Plain { Id = "p2", Team = "t1", Text = "", MaybeText = "y", MaybeFlag = false, MaybeCount = 0, MaybeBig = -1, At = DateTime.UnixEpoch, MaybeAt = at, MaybeWhen = new DateTimeOffset(at) });
            db.Add(new Numbered { Id = 5_000_000_000, Team = 3, Label = "n" });
            db.Add(new Mixed { Id = "m1", Team = "t1", Score = 0.1 + 0.2, Shade = Shade.Dark });
            db.Add(new Sparse { Id = "s1", Team = "t1" });
            db.Add(new Sparse { Id = "s2", Team = "t1", Note = "n" });
            db.Add(new Shouty { Id = "h1", Team = "t1", Word = "quiet" });
            db.Add(new Converted { Id = "v1", Team = "t1", Word = "MiXed" });
            db.Add(new Relaxed { Id = "r1", Team = "t1", Text = "<é & ✓>" });
        });

        Dictionary<string, int> read = await rows.AssertEveryRowReadsAsServedAsync();

        Assert.Equal(
            new Dictionary<string, int> { ["plain"] = 2, ["numbered"] = 1, ["mixed"] = 1, ["sparse"] = 2, ["shouty"] = 1, ["converted"] = 1, ["relaxed"] = 1 },
            read);
    }

    [Fact]
    public async Task Every_row_of_the_store_specifications_issue_read_from_its_columns_is_the_record_the_store_serves()
    {
        await using WalRows<SpecDb> rows = await WalRows<SpecDb>.StartAsync(sync => sync.Model(SpecModels.Issue));
        await rows.SaveAsync(db =>
        {
            db.Add(new SpecIssue { Id = "i1", Title = "Both", Team = "t1", User = "ann" });
            db.Add(new SpecIssue { Id = "i2", Title = null, Team = "t1", User = null });
            db.Add(new SpecIssue { Id = "i3", Title = "User only", Team = null, User = "bob" });
        });

        Assert.Equal(new Dictionary<string, int> { ["issue"] = 3 }, await rows.AssertEveryRowReadsAsServedAsync());
    }

    [Fact]
    public async Task Every_row_of_a_model_with_a_column_of_each_kind_read_from_its_columns_is_the_record_the_store_serves()
    {
        await using WalRows<KindsDb> rows = await WalRows<KindsDb>.StartAsync(KindsModels.Map);
        await rows.SaveAsync(db => db.AddRange(KindsModels.Examples()));

        Assert.Equal(new Dictionary<string, int> { ["kind"] = 2 }, await rows.AssertEveryRowReadsAsServedAsync());
    }

    private static async Task<List<string>> ColumnsAsync(AppDatabase database, string schema, string table)
    {
        await using var connection = new NpgsqlConnection(database.PostgresConnection);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = @schema AND table_name = @table", connection);
        command.Parameters.AddWithValue("schema", schema);
        command.Parameters.AddWithValue("table", table);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Ct);
        var columns = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            columns.Add(reader.GetString(0));
        }
        return columns;
    }

    /// <summary>Rows by value: their lists by their items.</summary>
    private sealed class RowComparer : IEqualityComparer<PgSyncedRow>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(PgSyncedRow? x, PgSyncedRow? y)
            => x is not null && y is not null && x.Id == y.Id && x.Json == y.Json && x.SyncGroups.SequenceEqual(y.SyncGroups) && x.GroupOwners.SequenceEqual(y.GroupOwners);

        public int GetHashCode(PgSyncedRow obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
