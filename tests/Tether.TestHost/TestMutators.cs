using Tether.Mutators;

namespace Tether.TestHost;

/// <summary>The test model's mutators, which the test server runs and the test clients run optimistically.</summary>
public static class TestMutators
{
    public const string CreateTeam = "createTeam";
    public const string AddMember = "addMember";
    public const string RemoveMember = "removeMember";
    public const string CreateProject = "createProject";
    public const string CreateIssue = "createIssue";
    public const string UpdateIssue = "updateIssue";
    public const string DeleteIssue = "deleteIssue";
    public const string AddComment = "addComment";

    /// <summary>New instances on every call, so that a server and a client never share one.</summary>
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
