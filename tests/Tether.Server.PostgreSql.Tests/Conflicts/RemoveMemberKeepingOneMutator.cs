using Tether.Mutators;
using Tether.TestHost;
using static Tether.TestHost.TestModel;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>A member removes another, under a rule that spans rows: a team keeps at least one member. Two such
/// removals of two different members each read both memberships and delete the other one, so they write no row in
/// common; only SERIALIZABLE (not REPEATABLE READ) refuses the second, which would leave the team empty (write skew).
/// The rule is checked first, so that the refused one fails on it and not on its caller's lost membership.</summary>
internal sealed class RemoveMemberKeepingOneMutator() : Mutator<MemberArgs>(MutatorName, ConflictArgsJson.Default.MemberArgs)
{
    public const string MutatorName = "removeMemberKeepingOne";

    public const string LastMemberMessage = "A team keeps at least one member.";

    protected override async ValueTask ExecuteAsync(IMutationContext context, MemberArgs args, CancellationToken cancellationToken)
    {
        IReadOnlyList<Tether.Mutators.Record> members = await context.ListAsync(Member, TeamGroup(args.TeamId), cancellationToken);
        if (members.Count <= 1)
        {
            throw MutationRejectedException.Forbidden(LastMemberMessage);
        }
        if (!members.Any(m => m.Id == MemberId(args.TeamId, context.UserId)))
        {
            throw MutationRejectedException.Forbidden($"You are not a member of team '{args.TeamId}'.");
        }
        string removed = MemberId(args.TeamId, args.UserId);
        if (!members.Any(m => m.Id == removed))
        {
            throw MutationRejectedException.NotFound($"'{args.UserId}' is not a member of team '{args.TeamId}'.");
        }
        await context.DeleteAsync(Member, removed, cancellationToken);
        context.SyncGroupsChanged(args.UserId, granted: [], revoked: [TeamGroup(args.TeamId)]);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(MemberArgs))]
internal sealed partial class ConflictArgsJson : System.Text.Json.Serialization.JsonSerializerContext;
