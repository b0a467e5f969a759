using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record RemoveMemberArgs(string TeamId, string UserId);

/// <summary>Removes a user from a team (a member may also remove themself, which is how one leaves a team).</summary>
public sealed class RemoveMemberMutator() : Mutator<RemoveMemberArgs>(IssueTrackerMutators.RemoveMember, IssueTrackerJsonContext.Default.RemoveMemberArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, RemoveMemberArgs args, CancellationToken cancellationToken)
    {
        var teamId = FieldRules.RequireTeamId(args.TeamId, "teamId");
        var userId = FieldRules.RequireId(args.UserId, "userId");
        await TeamAccess.RequireMemberAsync(context, teamId, cancellationToken).ConfigureAwait(false);
        var member = await TeamAccess.RequireAsync(context, Members, MemberId(teamId, userId), cancellationToken).ConfigureAwait(false);
        await context.DeleteAsync(Members, member.Id, cancellationToken).ConfigureAwait(false);
        context.SyncGroupsChanged(userId, granted: [], revoked: [TeamGroup(teamId)]);
    }
}
