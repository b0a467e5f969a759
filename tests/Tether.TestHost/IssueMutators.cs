using System.Text.Json.Nodes;
using Tether.Mutators;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>A member creates a project in the team.</summary>
public sealed class CreateProjectMutator() : Mutator<CreateProjectArgs>(TestMutators.CreateProject, TestArgsJson.Default.CreateProjectArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateProjectArgs args, CancellationToken cancellationToken)
    {
        await TeamRules.RequireMemberAsync(context, args.TeamId, cancellationToken);
        var project = TeamRules.NewRecord(context, args.Id);
        project["teamId"] = args.TeamId;
        project["name"] = args.Name;
        await context.InsertAsync(Project, args.Id, project, [TeamGroup(args.TeamId)], cancellationToken);
    }
}

/// <summary>Creates an issue in a project; the issue's team is the project's.</summary>
public sealed class CreateIssueMutator() : Mutator<CreateIssueArgs>(TestMutators.CreateIssue, TestArgsJson.Default.CreateIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateIssueArgs args, CancellationToken cancellationToken)
    {
        Record project = await TeamRules.RequireAsync(context, Project, args.ProjectId, cancellationToken);
        string teamId = await TeamRules.RequireOwnTeamAsync(context, project, cancellationToken);
        var issue = TeamRules.NewRecord(context, args.Id);
        issue["projectId"] = args.ProjectId;
        issue["teamId"] = teamId;
        issue["title"] = args.Title;
        issue["description"] = args.Description ?? "";
        issue["status"] = args.Status ?? "todo";
        await context.InsertAsync(Issue, args.Id, issue, [TeamGroup(teamId)], cancellationToken);
    }
}

/// <summary>Sets only the fields given, so that two clients editing different fields of one issue both keep theirs.</summary>
public sealed class UpdateIssueMutator() : Mutator<UpdateIssueArgs>(TestMutators.UpdateIssue, TestArgsJson.Default.UpdateIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, UpdateIssueArgs args, CancellationToken cancellationToken)
    {
        await TeamRules.RequireOwnTeamAsync(context, await TeamRules.RequireAsync(context, Issue, args.Id, cancellationToken), cancellationToken);
        var patch = new JsonObject();
        foreach ((string field, string? value) in new[] { ("title", args.Title), ("description", args.Description), ("status", args.Status) })
        {
            if (value is not null)
            {
                patch[field] = value;
            }
        }
        if (patch.Count > 0)
        {
            await context.UpdateAsync(Issue, args.Id, patch, cancellationToken: cancellationToken);
        }
    }
}

public sealed class DeleteIssueMutator() : Mutator<DeleteIssueArgs>(TestMutators.DeleteIssue, TestArgsJson.Default.DeleteIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, DeleteIssueArgs args, CancellationToken cancellationToken)
    {
        await TeamRules.RequireOwnTeamAsync(context, await TeamRules.RequireAsync(context, Issue, args.Id, cancellationToken), cancellationToken);
        await context.DeleteAsync(Issue, args.Id, cancellationToken);
    }
}

/// <summary>Comments on an issue; the comment's team is the issue's.</summary>
public sealed class AddCommentMutator() : Mutator<AddCommentArgs>(TestMutators.AddComment, TestArgsJson.Default.AddCommentArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, AddCommentArgs args, CancellationToken cancellationToken)
    {
        Record issue = await TeamRules.RequireAsync(context, Issue, args.IssueId, cancellationToken);
        string teamId = await TeamRules.RequireOwnTeamAsync(context, issue, cancellationToken);
        var comment = TeamRules.NewRecord(context, args.Id);
        comment["issueId"] = args.IssueId;
        comment["teamId"] = teamId;
        comment["body"] = args.Body;
        await context.InsertAsync(Comment, args.Id, comment, [TeamGroup(teamId)], cancellationToken);
    }
}
