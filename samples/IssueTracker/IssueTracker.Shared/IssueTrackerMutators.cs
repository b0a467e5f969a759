using IssueTracker.Mutators;
using Tether.Mutators;

namespace IssueTracker;

/// <summary>The names clients send in <c>mutation.name</c>, and the mutators behind them.</summary>
public static class IssueTrackerMutators
{
    public const string CreateTeam = "createTeam";
    public const string AddMember = "addMember";
    public const string RemoveMember = "removeMember";
    public const string CreateProject = "createProject";
    public const string CreateIssue = "createIssue";
    public const string UpdateIssue = "updateIssue";
    public const string DeleteIssue = "deleteIssue";
    public const string AddComment = "addComment";

    /// <summary>New instances each call, so the server and a client never share one.</summary>
    public static IReadOnlyList<IMutator> All =>
    [
        new CreateTeamMutator(),
        new AddMemberMutator(),
        new RemoveMemberMutator(),
        new CreateProjectMutator(),
        new CreateIssueMutator(),
        new UpdateIssueMutator(),
        new DeleteIssueMutator(),
        new AddCommentMutator(),
    ];
}
