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
        var (_, teamId) = await TeamAccess.RequireTeamRecordAsync(context, Issue, id, cancellationToken).ConfigureAwait(false);

        // The context can only list by group, so the team's comments are filtered here.
        var comments = await context.ListAsync(Comment, TeamGroup(teamId), cancellationToken).ConfigureAwait(false);
        foreach (var comment in comments)
        {
            if (RecordData.GetString(comment.Data, "issueId") == id)
            {
                await context.DeleteAsync(Comment, comment.Id, cancellationToken).ConfigureAwait(false);
            }
        }
        await context.DeleteAsync(Issue, id, cancellationToken).ConfigureAwait(false);
    }
}
