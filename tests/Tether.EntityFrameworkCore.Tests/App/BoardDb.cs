using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.App;

/// <summary>A team's board of cards (a Guid key).</summary>
public sealed class Board
{
    public Guid Id { get; set; }
    public string TeamId { get; set; } = "";
    public string Name { get; set; } = "";
}

/// <summary>A card on a board: in its team's group and its assignee's. <see cref="InternalNotes"/> is never synced.</summary>
public sealed class Card
{
    public string Id { get; set; } = "";
    public Guid BoardId { get; set; }
    public string TeamId { get; set; } = "";
    public string? Assignee { get; set; }
    public string Title { get; set; } = "";
    public int Points { get; set; }
    public string InternalNotes { get; set; } = "";
}

/// <summary>A user's membership of a team, in the team's group and the user's: what the group resolver reads.</summary>
public sealed class Member
{
    public string Id { get; set; } = "";
    public string TeamId { get; set; } = "";
    public string UserId { get; set; } = "";
}

/// <summary>A label everyone reads (an int key, a constant group).</summary>
public sealed class Tag
{
    public int Id { get; set; }
    public string Label { get; set; } = "";
}

/// <summary>A sticker on a team's wall, whose int key the database generates (an identity column).</summary>
public sealed class Sticker
{
    public int Id { get; set; }
    public string TeamId { get; set; } = "";
    public string Text { get; set; } = "";
}

/// <summary>The test app's own context: what an existing EF Core app has before it adds Tether.</summary>
public sealed class BoardDb(DbContextOptions<BoardDb> options) : DbContext(options)
{
    public DbSet<Board> Boards => Set<Board>();
    public DbSet<Card> Cards => Set<Card>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Tag> Tags => Set<Tag>();
    public DbSet<Sticker> Stickers => Set<Sticker>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Board>(board =>
        {
            board.ToTable("boards");
            board.HasIndex(b => b.TeamId);
        });
        modelBuilder.Entity<Card>(card =>
        {
            card.ToTable("cards", table => table.HasCheckConstraint("ck_cards_title", "length(\"Title\") BETWEEN 1 AND 100"));
            card.HasOne<Board>().WithMany().HasForeignKey(c => c.BoardId);
            card.HasIndex(c => c.TeamId);
            card.HasIndex(c => c.Assignee);
        });
        modelBuilder.Entity<Member>(member =>
        {
            member.ToTable("members");
            member.HasIndex(m => m.TeamId);
            member.HasIndex(m => m.UserId);
        });
        modelBuilder.Entity<Tag>(tag =>
        {
            tag.ToTable("tags");
            tag.Property(t => t.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<Sticker>(sticker =>
        {
            sticker.ToTable("stickers");
            sticker.HasIndex(s => s.TeamId);
            // SQLite's own rowid rather than AUTOINCREMENT, whose sqlite_sequence table would be part of the app's
            // schema (the adoption test tells Tether's tables from the app's).
            sticker.Property(s => s.Id).Metadata.SetValueGenerationStrategy(SqliteValueGenerationStrategy.None);
        });
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Board))]
[JsonSerializable(typeof(Card))]
[JsonSerializable(typeof(Member))]
[JsonSerializable(typeof(Tag))]
[JsonSerializable(typeof(Sticker))]
internal sealed partial class BoardJson : JsonSerializerContext;

/// <summary>The synced models, as an app shares them between its client and its server.</summary>
public static class BoardModels
{
    public const string PublicGroup = "public";

    public static readonly SyncModel<Board> Board = new("board", BoardJson.Default.Board, rules => rules.Column("team:", b => b.TeamId));

    public static readonly SyncModel<Card> Card = new("card", BoardJson.Default.Card, rules => rules.Column("team:", c => c.TeamId).Column("user:", c => c.Assignee));

    public static readonly SyncModel<Member> Member = new("member", BoardJson.Default.Member, rules => rules.Column("team:", m => m.TeamId).Column("user:", m => m.UserId));

    public static readonly SyncModel<Sticker> Sticker = new("sticker", BoardJson.Default.Sticker, rules => rules.Column("team:", s => s.TeamId));

    public static readonly SyncModel<Tag> Tag = new("tag", BoardJson.Default.Tag, rules => rules.Constant(PublicGroup));

    /// <summary>The mapping the test app registers.</summary>
    public static void Map(EntityFrameworkSyncBuilder<BoardDb> sync)
    {
        sync.Model(Board);
        sync.Model(Card, card => card.Ignore(c => c.InternalNotes));
        // A membership decides its user's groups (MemberGroupResolver reads it).
        sync.Model(Member, member => member.DecidesSyncGroupsOf(m => m.UserId));
        sync.Model(Tag);
        sync.Model(Sticker);
    }
}
