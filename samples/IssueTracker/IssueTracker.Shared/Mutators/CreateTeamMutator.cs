using IssueTracker.Entities;
using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record CreateTeamArgs(string Id, string Name);

/// <summary>Creates a team; its creator becomes its first member, or nobody could ever act in it.</summary>
public sealed class CreateTeamMutator() : Mutator<CreateTeamArgs>(IssueTrackerMutators.CreateTeam, IssueTrackerJsonContext.Default.CreateTeamArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateTeamArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireTeamId(args.Id, "id");
        var team = new Team
        {
            Id = id,
            CreatedBy = context.UserId,
            CreatedAt = RecordData.CreatedAt(context),
            Name = FieldRules.RequireName(args.Name, "name"),
        };
        await context.InsertAsync(Teams, team, cancellationToken).ConfigureAwait(false);
        await TeamAccess.AddMemberAsync(context, id, context.UserId, cancellationToken).ConfigureAwait(false);
    }
}
