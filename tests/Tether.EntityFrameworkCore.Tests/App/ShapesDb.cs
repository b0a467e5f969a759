using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.App;

/// <summary>An entity of every column type served from SQLite's values as System.Text.Json writes it, nullable or not,
/// a property written out of declaration order, and a column that is never synced.</summary>
public sealed class Plain
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";
    public string Text { get; set; } = "";
    public string? MaybeText { get; set; }
    public bool Flag { get; set; }
    public bool? MaybeFlag { get; set; }
    public int Count { get; set; }
    public int? MaybeCount { get; set; }
    public long Big { get; set; }
    public long? MaybeBig { get; set; }
    public short Small { get; set; }
    public byte Tiny { get; set; }
    public uint Unsigned { get; set; }
    public DateTime At { get; set; }
    public DateTime? MaybeAt { get; set; }

    [JsonPropertyOrder(-1)]
    public DateTimeOffset When { get; set; }

    public DateTimeOffset? MaybeWhen { get; set; }
    public string Secret { get; set; } = "";
}

/// <summary>A long key and an int group column, also in a group of everyone.</summary>
public sealed class Numbered
{
    public long Id { get; set; }
    public int Team { get; set; }
    public string Label { get; set; } = "";
}

public enum Shade
{
    Light,
    Dark,
}

/// <summary>Columns not served as stored: a double and an enum.</summary>
public sealed class Mixed
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";
    public double Score { get; set; }
    public Shade Shade { get; set; }
}

/// <summary>A property whose JSON is left out when it is null.</summary>
public sealed class Sparse
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Note { get; set; }
}

/// <summary>Text served with an encoder of the app's (JavaScriptEncoder.UnsafeRelaxedJsonEscaping).</summary>
public sealed class Relaxed
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";
    public string Text { get; set; } = "";
}

/// <summary>A property with a converter of the app's (upper case in JSON).</summary>
public sealed class Shouty
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";

    [JsonConverter(typeof(UpperCase))]
    public string Word { get; set; } = "";
}

/// <summary>A column with a converter of EF Core's: stored upper case, read lower case.</summary>
public sealed class Converted
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";
    public string Word { get; set; } = "";
}

/// <summary>An entity behind a query filter of the app's: hidden rows are not read.</summary>
public sealed class Filtered
{
    public string Id { get; set; } = "";
    public string Team { get; set; } = "";
    public bool Hidden { get; set; }
}

public sealed class UpperCase : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!.ToLowerInvariant();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToUpperInvariant());
}

public sealed class ShapesDb(DbContextOptions<ShapesDb> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Plain>().ToTable("plains");
        modelBuilder.Entity<Numbered>(numbered =>
        {
            numbered.ToTable("numbered");
            numbered.Property(n => n.Id).ValueGeneratedNever();
        });
        modelBuilder.Entity<Mixed>().ToTable("mixed");
        modelBuilder.Entity<Relaxed>().ToTable("relaxed");
        modelBuilder.Entity<Sparse>().ToTable("sparse");
        modelBuilder.Entity<Shouty>().ToTable("shouty");
        modelBuilder.Entity<Converted>(converted =>
        {
            converted.ToTable("converted");
            converted.Property(c => c.Word).HasConversion(word => word.ToUpperInvariant(), stored => stored.ToLowerInvariant());
        });
        modelBuilder.Entity<Filtered>(filtered =>
        {
            filtered.ToTable("filtered");
            filtered.HasQueryFilter(f => !f.Hidden);
        });
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Plain))]
[JsonSerializable(typeof(Numbered))]
[JsonSerializable(typeof(Mixed))]
[JsonSerializable(typeof(Sparse))]
[JsonSerializable(typeof(Shouty))]
[JsonSerializable(typeof(Converted))]
[JsonSerializable(typeof(Filtered))]
[JsonSerializable(typeof(Relaxed))]
internal sealed partial class ShapesJson : JsonSerializerContext;

public static class ShapesModels
{
    public const string Everyone = "everyone";

    public static readonly SyncModel<Plain> Plain = new("plain", ShapesJson.Default.Plain, rules => rules.Column("team:", p => p.Team));

    public static readonly SyncModel<Numbered> Numbered = new("numbered", ShapesJson.Default.Numbered, rules => rules.Column("team:", n => n.Team).Constant(Everyone));

    public static readonly SyncModel<Mixed> Mixed = new("mixed", ShapesJson.Default.Mixed, rules => rules.Column("team:", m => m.Team));

    public static readonly SyncModel<Sparse> Sparse = new("sparse", ShapesJson.Default.Sparse, rules => rules.Column("team:", s => s.Team));

    public static readonly SyncModel<Shouty> Shouty = new("shouty", ShapesJson.Default.Shouty, rules => rules.Column("team:", s => s.Team));

    public static readonly SyncModel<Converted> Converted = new("converted", ShapesJson.Default.Converted, rules => rules.Column("team:", c => c.Team));

    public static readonly SyncModel<Filtered> Filtered = new("filtered", ShapesJson.Default.Filtered, rules => rules.Column("team:", f => f.Team));

    public static readonly SyncModel<Relaxed> Relaxed = new(
        "relaxed",
        new ShapesJson(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Relaxed,
        rules => rules.Column("team:", r => r.Team));

    public static void Map(EntityFrameworkSyncBuilder<ShapesDb> sync) => Map(sync, filtered: true);

    /// <summary>The models, without <see cref="Filtered"/> unless <paramref name="filtered"/>: PostgreSQL refuses a
    /// synced entity with a global query filter.</summary>
    public static void Map(EntityFrameworkSyncBuilder<ShapesDb> sync, bool filtered)
    {
        sync.Model(Plain, plain => plain.Ignore(p => p.Secret));
        sync.Model(Numbered);
        sync.Model(Mixed);
        sync.Model(Sparse);
        sync.Model(Shouty);
        sync.Model(Converted);
        if (filtered)
        {
            sync.Model(Filtered);
        }
        sync.Model(Relaxed);
    }
}
