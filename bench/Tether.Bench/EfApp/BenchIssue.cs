using System.Text.Json.Serialization;
using Tether.Mutators;

namespace Tether.Bench.EfApp;

/// <summary>An issue of the bench app: a row of its own <c>issues</c> table, in its team's sync group.</summary>
public sealed class Issue
{
    public string Id { get; set; } = "";
    public string TeamId { get; set; } = "";
    public string Title { get; set; } = "";
    public string Status { get; set; } = "todo";
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>What the app's client sends to create an issue: the <c>createIssue</c> mutator's arguments and the body
/// of the app's own <c>POST /api/issues</c>.</summary>
public sealed record CreateIssueArgs(string Id, string TeamId, string Title, string? Status, string? Description, DateTimeOffset CreatedAt)
{
    public Issue ToIssue() => new()
    {
        Id = Id,
        TeamId = TeamId,
        Title = Title,
        Status = Status ?? "todo",
        Description = Description,
        CreatedAt = CreatedAt,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(CreateIssueArgs))]
internal sealed partial class BenchJson : JsonSerializerContext;

/// <summary>The bench app's synced model, as an app shares it between its client and its server.</summary>
public static class BenchModels
{
    /// <summary>The one team every bench user is a member of.</summary>
    public const string TeamId = "t";

    public static readonly SyncModel<Issue> Issue = new("issue", BenchJson.Default.Issue, rules => rules.Column("team:", i => i.TeamId));
}
