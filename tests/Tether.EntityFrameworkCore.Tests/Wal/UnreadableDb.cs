using System.ComponentModel.DataAnnotations.Schema;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.Wal;

/// <summary>Holds an <see cref="Address"/> in its own row.</summary>
public sealed class Holder
{
    public string Id { get; set; } = "";
    public Address Address { get; set; } = new();
}

/// <summary>Owned by a <see cref="Holder"/>, keyed by its holder's key.</summary>
public sealed class Address
{
    public string Id { get; set; } = "";
    public string City { get; set; } = "";
}

public class Animal
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
}

/// <summary>In its base type's table (TPH).</summary>
public sealed class Dog : Animal
{
    public bool Barks { get; set; }
}

public class Vehicle
{
    public string Id { get; set; } = "";
    public int Wheels { get; set; }
}

/// <summary>In a table of its own beside its base type's (TPT).</summary>
public sealed class Truck : Vehicle
{
    public int Load { get; set; }
}

/// <summary>Shares its table with an <see cref="OrderDetail"/> (table splitting).</summary>
public sealed class Order
{
    public string Id { get; set; } = "";
    public string Status { get; set; } = "";
}

public sealed class OrderDetail
{
    public string Id { get; set; } = "";
    public string Notes { get; set; } = "";
}

/// <summary>Its columns are in two tables (entity splitting).</summary>
public sealed class Split
{
    public string Id { get; set; } = "";
    public string Main { get; set; } = "";
    public string Extra { get; set; } = "";
}

/// <summary>EF Core builds it through its constructor.</summary>
public sealed class Built(string id, string team)
{
    public string Id { get; set; } = id;
    public string Team { get; set; } = team;
}

/// <summary>A text array column.</summary>
public sealed class Listed
{
    public string Id { get; set; } = "";
    public string[] Labels { get; set; } = [];
}

/// <summary>Whose groups it decides is computed, not a column.</summary>
public sealed class Ruling
{
    public string Id { get; set; } = "";
    public string First { get; set; } = "";

    [NotMapped]
    [JsonIgnore]
    public string Owner => "user-" + First;
}

/// <summary>Its name is a read-only field EF Core sets.</summary>
public sealed class Frozen
{
    private readonly string _name = "";

    public string Id { get; set; } = "";

    public string Name => _name;
}

/// <summary>Archived rows are hidden from every query of the context (a global query filter).</summary>
public sealed class Archivable
{
    public string Id { get; set; } = "";
    public bool Archived { get; set; }
}

/// <summary>A context whose entities each cannot be built from one row of PostgreSQL's write-ahead log, while they fit
/// a synced model otherwise (they are served on SQLite).</summary>
public sealed class UnreadableDb(DbContextOptions<UnreadableDb> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Holder>().OwnsOne(h => h.Address, address => address.WithOwner().HasForeignKey(a => a.Id));
        modelBuilder.Entity<Animal>();
        modelBuilder.Entity<Dog>();
        modelBuilder.Entity<Vehicle>().UseTptMappingStrategy();
        modelBuilder.Entity<Truck>().ToTable("Trucks");
        modelBuilder.Entity<Order>().ToTable("Orders");
        modelBuilder.Entity<OrderDetail>(detail =>
        {
            detail.ToTable("Orders");
            detail.HasOne<Order>().WithOne().HasForeignKey<OrderDetail>(d => d.Id);
        });
        modelBuilder.Entity<Split>().ToTable("SplitMain").SplitToTable("SplitExtra", table => table.Property(s => s.Extra));
        modelBuilder.Entity<Built>();
        modelBuilder.Entity<Listed>();
        modelBuilder.Entity<Ruling>();
        modelBuilder.Entity<Frozen>().Property(f => f.Name).HasField("_name");
        modelBuilder.Entity<Archivable>().HasQueryFilter(a => !a.Archived);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Address))]
[JsonSerializable(typeof(Dog))]
[JsonSerializable(typeof(Vehicle))]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(Split))]
[JsonSerializable(typeof(Built))]
[JsonSerializable(typeof(Listed))]
[JsonSerializable(typeof(Ruling))]
[JsonSerializable(typeof(Frozen))]
[JsonSerializable(typeof(Archivable))]
internal sealed partial class UnreadableJson : JsonSerializerContext;

public static class UnreadableModels
{
    public static void Map(EntityFrameworkSyncBuilder<UnreadableDb> sync) => sync
        .Model(new SyncModel<Address>("address", UnreadableJson.Default.Address, rules => rules.Constant("all")))
        .Model(new SyncModel<Dog>("dog", UnreadableJson.Default.Dog, rules => rules.Constant("all")))
        .Model(new SyncModel<Vehicle>("vehicle", UnreadableJson.Default.Vehicle, rules => rules.Constant("all")))
        .Model(new SyncModel<Order>("order", UnreadableJson.Default.Order, rules => rules.Constant("all")))
        .Model(new SyncModel<Split>("split", UnreadableJson.Default.Split, rules => rules.Constant("all")))
        .Model(new SyncModel<Built>("built", UnreadableJson.Default.Built, rules => rules.Column("team:", b => b.Team)))
        .Model(new SyncModel<Listed>("listed", UnreadableJson.Default.Listed, rules => rules.Constant("all")))
        .Model(new SyncModel<Ruling>("ruling", UnreadableJson.Default.Ruling, rules => rules.Constant("all")), ruling => ruling
            .DecidesSyncGroupsOf(r => r.Owner)
            .DecidesSyncGroupsOf(r => OwnerOf(r)))
        .Model(new SyncModel<Frozen>("frozen", UnreadableJson.Default.Frozen, rules => rules.Constant("all")))
        .Model(new SyncModel<Archivable>("archivable", UnreadableJson.Default.Archivable, rules => rules.Constant("all")));

    private static string OwnerOf(Ruling ruling) => ruling.First;
}
