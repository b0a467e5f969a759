using Tether.Mutators;

namespace IssueTracker.Mutators;

public sealed record AddMemberArgs(string TeamId, string UserId);

/// <summary>Adds a user to a team; adding an existing member is refused, naming the user and the team.</summary>
public sealed class AddMemberMutator() : Mutator<AddMemberArgs>(IssueTrackerMutators.AddMember, IssueTrackerJsonContext.Default.AddMemberArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, AddMemberArgs args, CancellationToken cancellationToken)
    {
        var teamId = FieldRules.RequireTeamId(args.TeamId, "teamId");
        var userId = FieldRules.RequireId(args.UserId, "userId");
        await TeamAccess.RequireMemberAsync(context, teamId, cancellationToken).ConfigureAwait(false);
        await TeamAccess.AddMemberAsync(context, teamId, userId, cancellationToken).ConfigureAwait(false);
    }
}
