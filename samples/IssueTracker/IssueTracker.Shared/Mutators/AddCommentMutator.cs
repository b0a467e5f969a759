using IssueTracker.Entities;
using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record AddCommentArgs(string Id, string IssueId, string Body);

/// <summary>Comments on an issue; the comment takes its team from the issue, never from the client.</summary>
public sealed class AddCommentMutator() : Mutator<AddCommentArgs>(IssueTrackerMutators.AddComment, IssueTrackerJsonContext.Default.AddCommentArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, AddCommentArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var issueId = FieldRules.RequireId(args.IssueId, "issueId");
        var body = FieldRules.RequireText(args.Body, "body", FieldRules.MaxTextLength);
        var issue = await TeamAccess.RequireTeamEntityAsync(context, Issues, issueId, cancellationToken).ConfigureAwait(false);

        var comment = new Comment
        {
            Id = id,
            CreatedBy = context.UserId,
            CreatedAt = RecordData.CreatedAt(context),
            IssueId = issueId,
            TeamId = issue.TeamId,
            Body = body,
        };
        await context.InsertAsync(Comments, comment, cancellationToken).ConfigureAwait(false);
    }
}
