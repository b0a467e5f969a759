using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.Wal;

public enum Size
{
    Small,
    Large,
}

/// <summary>A column of every kind an app's entity commonly has, nullable or not, some through value converters of
/// EF Core's, in a schema of its own and one column renamed.</summary>
public sealed class Kind
{
    public Guid Id { get; set; }
    public string Team { get; set; } = "";
    public string Text { get; set; } = "";
    public string? MaybeText { get; set; }
    public int Count { get; set; }
    public int? MaybeCount { get; set; }
    public long Big { get; set; }
    public long? MaybeBig { get; set; }
    public short Small { get; set; }
    public byte Tiny { get; set; }
    public bool Flag { get; set; }
    public bool? MaybeFlag { get; set; }
    public Guid Ref { get; set; }
    public Guid? MaybeRef { get; set; }

    /// <summary>A <c>timestamptz</c>: UTC.</summary>
    public DateTime At { get; set; }

    public DateTime? MaybeAt { get; set; }

    /// <summary>A <c>timestamp without time zone</c>.</summary>
    public DateTime Local { get; set; }

    /// <summary>A <c>timestamptz</c> too, read by EF Core at offset zero.</summary>
    public DateTimeOffset When { get; set; }

    public DateTimeOffset? MaybeWhen { get; set; }
    public DateOnly Day { get; set; }
    public DateOnly? MaybeDay { get; set; }
    public TimeOnly Time { get; set; }

    /// <summary>A <c>date</c> that EF Core reads as a <see cref="DateTime"/>.</summary>
    public DateTime Birthday { get; set; }

    /// <summary>A <c>time</c> that EF Core reads as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan Clock { get; set; }

    /// <summary>An <c>interval</c>.</summary>
    public TimeSpan Elapsed { get; set; }

    public TimeSpan? MaybeElapsed { get; set; }
    public decimal Price { get; set; }
    public decimal? MaybePrice { get; set; }
    public double Score { get; set; }
    public double? MaybeScore { get; set; }
    public float Ratio { get; set; }

    /// <summary>An enum stored as its number (EF Core's default).</summary>
    public Size Size { get; set; }

    public Size? MaybeSize { get; set; }

    /// <summary>An enum stored as its name.</summary>
    public Size Label { get; set; }

    public Size? MaybeLabel { get; set; }

    /// <summary>Stored as its ticks (a bigint).</summary>
    public TimeSpan Duration { get; set; }

    /// <summary>Stored upper case, read lower case.</summary>
    public string Word { get; set; } = "";

    public byte[] Blob { get; set; } = [];

    /// <summary>Never synced, but it names the user whose groups the row decides.</summary>
    public string? Owner { get; set; }

    /// <summary>Never synced: an owned type whose columns are in the row's own table.</summary>
    public KindNote? Note { get; set; }
}

public sealed class KindNote
{
    public string? Text { get; set; }
}

public sealed class KindsDb(DbContextOptions<KindsDb> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Kind>(kind =>
        {
            kind.ToTable("kinds", "wal");
            kind.Property(k => k.Id).ValueGeneratedNever();
            kind.Property(k => k.Local).HasColumnType("timestamp without time zone");
            kind.Property(k => k.Price).HasPrecision(18, 4);
            kind.Property(k => k.Birthday).HasColumnType("date");
            kind.Property(k => k.Clock).HasColumnType("time");
            kind.Property(k => k.Label).HasConversion<string>().HasColumnName("label_text");
            kind.Property(k => k.MaybeLabel).HasConversion<string>();
            kind.Property(k => k.Duration).HasConversion<long>();
            kind.Property(k => k.Word).HasConversion(word => word.ToUpperInvariant(), stored => stored.ToLowerInvariant());
            kind.OwnsOne(k => k.Note);
        });
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Kind))]
internal sealed partial class KindsJson : JsonSerializerContext;

public static class KindsModels
{
    public static readonly SyncModel<Kind> Kind = new("kind", KindsJson.Default.Kind, rules => rules.Column("team:", k => k.Team).Column("ref:", k => k.Ref).Column("count:", k => k.MaybeCount));

    /// <summary>Two rows: every column set (extremes, text that JSON escapes, sub-second times), and every nullable
    /// column null.</summary>
    public static Kind[] Examples()
    {
        var at = new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Utc).AddTicks(1_234_560);
        return
        [
            new Kind
            {
                Id = Guid.Parse("11111111-2222-4333-8444-555555555555"),
                Team = "t1",
                Text = "Tea élan ☕ \"q\"",
                MaybeText = "ann",
                Count = int.MinValue,
                MaybeCount = 42,
                Big = long.MaxValue,
                MaybeBig = -7,
                Small = short.MinValue,
                Tiny = byte.MaxValue,
                Flag = true,
                MaybeFlag = false,
                Ref = Guid.Parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
                MaybeRef = Guid.Parse("00000000-0000-4000-8000-000000000001"),
                At = at,
                MaybeAt = at.AddDays(-400),
                Local = new DateTime(2023, 12, 31, 22, 0, 0, DateTimeKind.Unspecified),
                When = new DateTimeOffset(at),
                MaybeWhen = new DateTimeOffset(at.AddYears(-30)),
                Day = new DateOnly(1999, 12, 31),
                MaybeDay = new DateOnly(2024, 2, 29),
                Time = new TimeOnly(13, 14, 15, 161),
                Birthday = new DateTime(1970, 1, 2),
                Clock = new TimeSpan(0, 23, 59, 59, 999),
                Elapsed = TimeSpan.FromDays(40.5),
                MaybeElapsed = TimeSpan.FromMinutes(-3),
                Price = 12345.6789m,
                MaybePrice = -0.5m,
                Score = 0.1 + 0.2,
                MaybeScore = double.MaxValue,
                Ratio = 1.5f,
                Size = Size.Large,
                MaybeSize = Size.Small,
                Label = Size.Large,
                MaybeLabel = Size.Small,
                Duration = TimeSpan.FromMilliseconds(1234.5),
                Word = "MiXed",
                Blob = [0xDE, 0xAD, 0xBE, 0xEF],
                Owner = "carol",
                Note = new KindNote { Text = "owned" },
            },
            new Kind
            {
                Id = Guid.Parse("99999999-8888-4777-8666-555555555555"),
                Team = "t2",
                At = DateTime.UnixEpoch,
                When = DateTimeOffset.UnixEpoch,
            }
        ];
    }

    public static void Map(EntityFrameworkSyncBuilder<KindsDb> sync)
        => sync.Model(Kind, kind => kind.Ignore(k => k.Owner).Ignore(k => k.Note).DecidesSyncGroupsOf(k => k.MaybeText).DecidesSyncGroupsOf(k => k.Owner));
}
