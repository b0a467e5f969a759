namespace IssueTracker;

/// <summary>The model names of the issue tracker, the ids derived from them and the sync groups records live in.</summary>
public static class IssueTrackerModels
{
    public const string Team = "team";
    public const string Member = "member";
    public const string Project = "project";
    public const string Issue = "issue";
    public const string Comment = "comment";

    public static IReadOnlyList<string> All { get; } = [Team, Member, Project, Issue, Comment];

    /// <summary>A membership's id is derived from its team and user, so that inserting it twice is refused and a
    /// membership check is a single read. Team ids contain no ':', which keeps the id unambiguous.</summary>
    public static string MemberId(string teamId, string userId) => teamId + ":" + userId;

    /// <summary>The group of everything a team's members see.</summary>
    public static string TeamGroup(string teamId) => "team:" + teamId;

    /// <summary>The group of a user's own memberships; the group resolver reads it to find the user's teams.</summary>
    public static string UserGroup(string userId) => "user:" + userId;
}
