using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.Specification;

/// <summary>The store specification's <c>issue</c> as an app's entity: its groups are its <see cref="Team"/> and
/// <see cref="User"/> columns.</summary>
public sealed class SpecIssue
{
    public string Id { get; set; } = "";
    public string? Title { get; set; }
    public string? Team { get; set; }
    public string? User { get; set; }
}

public sealed class SpecDb(DbContextOptions<SpecDb> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SpecIssue>(issue =>
        {
            issue.ToTable("spec_issues");
            issue.HasIndex(i => i.Team);
            issue.HasIndex(i => i.User);
        });
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SpecIssue))]
internal sealed partial class SpecJson : JsonSerializerContext;

public static class SpecModels
{
    public static readonly SyncModel<SpecIssue> Issue = new("issue", SpecJson.Default.SpecIssue, rules => rules.Column("team:", i => i.Team).Column("user:", i => i.User));
}
