namespace IssueTracker.Entities;

/// <summary>A comment on an issue; it is in its issue's team.</summary>
public sealed class Comment : ITeamOwned
{
    public string Id { get; set; } = "";

    public string CreatedBy { get; set; } = "";

    /// <summary>When it was created, as the protocol writes times: UTC in the round-trip ("O") format.</summary>
    public string CreatedAt { get; set; } = "";

    public string IssueId { get; set; } = "";

    public string TeamId { get; set; } = "";

    public string Body { get; set; } = "";
}
