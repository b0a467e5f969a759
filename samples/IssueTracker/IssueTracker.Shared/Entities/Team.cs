namespace IssueTracker.Entities;

/// <summary>A team: everything of it, the team itself included, is in the team's sync group.</summary>
public sealed class Team
{
    public string Id { get; set; } = "";

    /// <summary>The user who created it, as the server's run of the mutator says.</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>When it was created, as the protocol writes times: UTC in the round-trip ("O") format.</summary>
    public string CreatedAt { get; set; } = "";

    public string Name { get; set; } = "";
}
