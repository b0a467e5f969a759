namespace IssueTracker.Entities;

/// <summary>An issue of a project; it is in its project's team.</summary>
public sealed class Issue : ITeamOwned
{
    public string Id { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    /// <summary>When it was created, as the protocol writes times: UTC in the round-trip ("O") format.</summary>
    public string CreatedAt { get; set; } = "";

    public string ProjectId { get; set; } = "";

    public string TeamId { get; set; } = "";

    public string Title { get; set; } = "";

    /// <summary>Empty when the mutators wrote none; <c>changes</c> may also leave it out.</summary>
    public string? Description { get; set; }

    /// <summary>One of <see cref="IssueStatus.All"/>.</summary>
    public string Status { get; set; } = IssueStatus.Todo;
}
