using IssueTracker.Entities;
using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record CreateIssueArgs(string Id, string ProjectId, string Title, string? Description = null, string? Status = null);

/// <summary>Creates an issue in a project; the issue takes its team from the project, never from the client.</summary>
public sealed class CreateIssueMutator() : Mutator<CreateIssueArgs>(IssueTrackerMutators.CreateIssue, IssueTrackerJsonContext.Default.CreateIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateIssueArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var projectId = FieldRules.RequireId(args.ProjectId, "projectId");
        var title = FieldRules.RequireName(args.Title, "title");
        var description = FieldRules.OptionalText(args.Description, "description") ?? "";
        var status = args.Status is null ? IssueStatus.Todo : FieldRules.RequireStatus(args.Status);
        var project = await TeamAccess.RequireTeamEntityAsync(context, Projects, projectId, cancellationToken).ConfigureAwait(false);

        var issue = new Issue
        {
            Id = id,
            CreatedBy = context.UserId,
            CreatedAt = RecordData.CreatedAt(context),
            ProjectId = projectId,
            TeamId = project.TeamId,
            Title = title,
            Description = description,
            Status = status,
        };
        await context.InsertAsync(Issues, issue, cancellationToken).ConfigureAwait(false);
    }
}
