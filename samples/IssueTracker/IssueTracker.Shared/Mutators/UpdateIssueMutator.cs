using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

/// <summary>A field left out (or null) stays as it is.</summary>
public sealed record UpdateIssueArgs(string Id, string? Title = null, string? Description = null, string? Status = null);

/// <summary>Changes only the given fields, and the typed update sends only what changed, so that two clients editing
/// different fields of one issue both win. An update that changes nothing writes nothing.</summary>
public sealed class UpdateIssueMutator() : Mutator<UpdateIssueArgs>(IssueTrackerMutators.UpdateIssue, IssueTrackerJsonContext.Default.UpdateIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, UpdateIssueArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var title = args.Title is null ? null : FieldRules.RequireName(args.Title, "title");
        var description = args.Description is null ? null : FieldRules.OptionalText(args.Description, "description");
        var status = args.Status is null ? null : FieldRules.RequireStatus(args.Status);
        await TeamAccess.RequireTeamEntityAsync(context, Issues, id, cancellationToken).ConfigureAwait(false);

        await context.UpdateAsync(Issues, id, issue =>
        {
            issue.Title = title ?? issue.Title;
            issue.Description = description ?? issue.Description;
            issue.Status = status ?? issue.Status;
        }, cancellationToken).ConfigureAwait(false);
    }
}
