using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record DeleteIssueArgs(string Id);

/// <summary>Deletes an issue and its comments, which would otherwise hang on to an issue nobody can open.</summary>
public sealed class DeleteIssueMutator() : Mutator<DeleteIssueArgs>(IssueTrackerMutators.DeleteIssue, IssueTrackerJsonContext.Default.DeleteIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, DeleteIssueArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var issue = await TeamAccess.RequireTeamEntityAsync(context, Issues, id, cancellationToken).ConfigureAwait(false);

        // The context can only list by group, so the team's comments are filtered here.
        var comments = await context.ListAsync(Comments, TeamGroup(issue.TeamId), cancellationToken).ConfigureAwait(false);
        foreach (var comment in comments)
        {
            if (comment.IssueId == id)
            {
                await context.DeleteAsync(Comments, comment.Id, cancellationToken).ConfigureAwait(false);
            }
        }
        await context.DeleteAsync(Issues, id, cancellationToken).ConfigureAwait(false);
    }
}
