using Tether.Mutators;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>Creates a team with its creator as the first member.</summary>
public sealed class CreateTeamMutator() : Mutator<CreateTeamArgs>(TestMutators.CreateTeam, TestArgsJson.Default.CreateTeamArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateTeamArgs args, CancellationToken cancellationToken)
    {
        var team = TeamRules.NewRecord(context, args.Id);
        team["name"] = args.Name;
        await context.InsertAsync(Team, args.Id, team, [TeamGroup(args.Id)], cancellationToken);
        await TeamRules.AddMemberAsync(context, args.Id, context.UserId, cancellationToken);
    }
}

/// <summary>A member adds a user to the team, which grants that user the team's group.</summary>
public sealed class AddMemberMutator() : Mutator<MemberArgs>(TestMutators.AddMember, TestArgsJson.Default.MemberArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, MemberArgs args, CancellationToken cancellationToken)
    {
        await TeamRules.RequireMemberAsync(context, args.TeamId, cancellationToken);
        await TeamRules.AddMemberAsync(context, args.TeamId, args.UserId, cancellationToken);
    }
}

/// <summary>A member removes a user from the team, which revokes that user's group.</summary>
public sealed class RemoveMemberMutator() : Mutator<MemberArgs>(TestMutators.RemoveMember, TestArgsJson.Default.MemberArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, MemberArgs args, CancellationToken cancellationToken)
    {
        await TeamRules.RequireMemberAsync(context, args.TeamId, cancellationToken);
        Record member = await TeamRules.RequireAsync(context, Member, MemberId(args.TeamId, args.UserId), cancellationToken);
        await context.DeleteAsync(Member, member.Id, cancellationToken);
        context.SyncGroupsChanged(args.UserId, granted: [], revoked: [TeamGroup(args.TeamId)]);
    }
}
