namespace IssueTracker.Entities;

/// <summary>A user's membership of a team, in the team's group (members see each other) and in the user's own
/// group (where the group resolver finds the user's teams). Its id is <c>teamId:userId</c>.</summary>
public sealed class Member : ITeamOwned
{
    public string Id { get; set; } = "";

    /// <summary>The member who added the user (the user themself for a team's creator).</summary>
    public string CreatedBy { get; set; } = "";

    /// <summary>When it was created, as the protocol writes times: UTC in the round-trip ("O") format.</summary>
    public string CreatedAt { get; set; } = "";

    public string TeamId { get; set; } = "";

    public string UserId { get; set; } = "";
}
