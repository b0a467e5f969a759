using IssueTracker;

namespace IssueTracker.Web.Components;

/// <summary>What a person calls each mutation, for notices: mutation names are for code.</summary>
public static class ActionNames
{
    public static string Of(string mutation) => mutation switch
    {
        IssueTrackerMutators.CreateTeam => "Creating the team",
        IssueTrackerMutators.AddMember => "Adding the member",
        IssueTrackerMutators.RemoveMember => "Removing the member",
        IssueTrackerMutators.CreateProject => "Creating the project",
        IssueTrackerMutators.CreateIssue => "Creating the issue",
        IssueTrackerMutators.UpdateIssue => "Changing the issue",
        IssueTrackerMutators.DeleteIssue => "Deleting the issue",
        IssueTrackerMutators.AddComment => "Adding the comment",
        _ => "The change",
    };
}
