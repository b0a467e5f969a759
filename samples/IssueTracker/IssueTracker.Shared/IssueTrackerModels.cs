using IssueTracker.Entities;
using Tether.Mutators;

namespace IssueTracker;

/// <summary>The models of the issue tracker: their names, the ids derived from them, the sync groups records live in,
/// and each model as a <see cref="SyncModel{T}"/> of its entity, which the mutators read and write.</summary>
public static class IssueTrackerModels
{
    public const string Team = "team";
    public const string Member = "member";
    public const string Project = "project";
    public const string Issue = "issue";
    public const string Comment = "comment";

    public const string TeamGroupPrefix = "team:";
    public const string UserGroupPrefix = "user:";

    public static IReadOnlyList<string> All { get; } = [Team, Member, Project, Issue, Comment];

    /// <summary>A team is in its own group.</summary>
    public static SyncModel<Entities.Team> Teams { get; } =
        new(Team, IssueTrackerRecordJson.Default.Team, groups => groups.Column(TeamGroupPrefix, t => t.Id));

    /// <summary>A membership is in its team's group and in its user's group.</summary>
    public static SyncModel<Entities.Member> Members { get; } =
        new(Member, IssueTrackerRecordJson.Default.Member, groups => groups.Column(TeamGroupPrefix, m => m.TeamId).Column(UserGroupPrefix, m => m.UserId));

    public static SyncModel<Entities.Project> Projects { get; } =
        new(Project, IssueTrackerRecordJson.Default.Project, groups => groups.Column(TeamGroupPrefix, p => p.TeamId));

    public static SyncModel<Entities.Issue> Issues { get; } =
        new(Issue, IssueTrackerRecordJson.Default.Issue, groups => groups.Column(TeamGroupPrefix, i => i.TeamId));

    public static SyncModel<Entities.Comment> Comments { get; } =
        new(Comment, IssueTrackerRecordJson.Default.Comment, groups => groups.Column(TeamGroupPrefix, c => c.TeamId));

    /// <summary>A membership's id is derived from its team and user, so that inserting it twice is refused and a
    /// membership check is a single read. Team ids contain no ':', which keeps the id unambiguous.</summary>
    public static string MemberId(string teamId, string userId) => teamId + ":" + userId;

    /// <summary>The group of everything a team's members see.</summary>
    public static string TeamGroup(string teamId) => TeamGroupPrefix + teamId;

    /// <summary>The group of a user's own memberships; the group resolver reads it to find the user's teams.</summary>
    public static string UserGroup(string userId) => UserGroupPrefix + userId;
}
