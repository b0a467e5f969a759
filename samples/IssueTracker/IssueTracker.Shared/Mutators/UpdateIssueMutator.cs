using System.Text.Json.Nodes;
using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

/// <summary>A field left out (or null) stays as it is.</summary>
public sealed record UpdateIssueArgs(string Id, string? Title = null, string? Description = null, string? Status = null);

/// <summary>Patches only the given fields, so that two clients editing different fields of one issue both win.</summary>
public sealed class UpdateIssueMutator() : Mutator<UpdateIssueArgs>(IssueTrackerMutators.UpdateIssue, IssueTrackerJsonContext.Default.UpdateIssueArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, UpdateIssueArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var patch = new JsonObject();
        if (args.Title is not null)
        {
            patch["title"] = FieldRules.RequireName(args.Title, "title");
        }
        if (args.Description is not null)
        {
            patch["description"] = FieldRules.OptionalText(args.Description, "description");
        }
        if (args.Status is not null)
        {
            patch["status"] = FieldRules.RequireStatus(args.Status);
        }
        await TeamAccess.RequireTeamRecordAsync(context, Issue, id, cancellationToken).ConfigureAwait(false);

        // An empty patch would still put an update action into every team member's log.
        if (patch.Count > 0)
        {
            await context.UpdateAsync(Issue, id, patch, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
