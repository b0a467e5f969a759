namespace Tether.TestHost;

/// <summary>
/// The tests' data: teams with members, projects of a team, issues of a project, comments on an issue. Everything of
/// a team lives in the team's sync group; a membership lives in its user's group too, where
/// <see cref="TestGroupResolver"/> finds the user's teams.
/// </summary>
public static class TestModel
{
    public const string Team = "team";
    public const string Member = "member";
    public const string Project = "project";
    public const string Issue = "issue";
    public const string Comment = "comment";

    public static IReadOnlyList<string> Models { get; } = [Team, Member, Project, Issue, Comment];

    public static string TeamGroup(string teamId) => "team:" + teamId;

    public static string UserGroup(string userId) => "user:" + userId;

    /// <summary>Derived, so that a second membership of the same user in a team is refused by the insert.</summary>
    public static string MemberId(string teamId, string userId) => teamId + ":" + userId;
}
