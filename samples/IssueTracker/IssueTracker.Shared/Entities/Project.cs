namespace IssueTracker.Entities;

/// <summary>A project of a team.</summary>
public sealed class Project : ITeamOwned
{
    public string Id { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    /// <summary>When it was created, as the protocol writes times: UTC in the round-trip ("O") format.</summary>
    public string CreatedAt { get; set; } = "";

    public string TeamId { get; set; } = "";

    public string Name { get; set; } = "";
}
