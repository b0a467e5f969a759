using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker;

/// <summary>
/// The access rules every mutator applies: the caller must be a member of the team concerned, and referenced records
/// must exist. Membership is read from the member record through the context rather than from
/// <see cref="IMutationContext.UserSyncGroups"/>, so that a team created earlier in the same batch already counts.
/// </summary>
public static class TeamAccess
{
    public static async ValueTask RequireMemberAsync(IMutationContext context, string teamId, CancellationToken cancellationToken)
    {
        var member = await context.GetAsync(Member, MemberId(teamId, context.UserId), cancellationToken).ConfigureAwait(false);
        // The fields are compared as well, so a record whose id merely looks right never grants access.
        if (member is null
            || RecordData.GetString(member.Data, "teamId") != teamId
            || RecordData.GetString(member.Data, "userId") != context.UserId)
        {
            throw MutationRejectedException.Forbidden($"You are not a member of team '{teamId}'.");
        }
    }

    public static async ValueTask<Record> RequireRecordAsync(IMutationContext context, string modelName, string id, CancellationToken cancellationToken) =>
        await context.GetAsync(modelName, id, cancellationToken).ConfigureAwait(false)
            ?? throw MutationRejectedException.NotFound($"There is no {modelName} '{id}'.");

    /// <summary>Reads a record that must exist and belong to a team of the caller; returns it with its team.</summary>
    public static async ValueTask<(Record Record, string TeamId)> RequireTeamRecordAsync(
        IMutationContext context, string modelName, string id, CancellationToken cancellationToken)
    {
        var record = await RequireRecordAsync(context, modelName, id, cancellationToken).ConfigureAwait(false);
        var teamId = TeamIdOf(record);
        await RequireMemberAsync(context, teamId, cancellationToken).ConfigureAwait(false);
        return (record, teamId);
    }

    /// <summary>A record without a team can only come from outside the mutators; nobody may act on it here.</summary>
    public static string TeamIdOf(Record record) =>
        RecordData.GetString(record.Data, "teamId")
            ?? throw MutationRejectedException.Forbidden($"The {record.ModelName} '{record.Id}' belongs to no team.");

    /// <summary>Inserts the membership in both the team's group (members see each other) and the user's own group
    /// (the group resolver finds the user's teams there).</summary>
    public static async ValueTask AddMemberAsync(IMutationContext context, string teamId, string userId, CancellationToken cancellationToken)
    {
        var id = MemberId(teamId, userId);
        var member = RecordData.Created(context, id);
        member["teamId"] = teamId;
        member["userId"] = userId;
        await context.InsertAsync(Member, id, member, [TeamGroup(teamId), UserGroup(userId)], cancellationToken).ConfigureAwait(false);
        context.SyncGroupsChanged(userId, granted: [TeamGroup(teamId)], revoked: []);
    }
}
