using IssueTracker.Entities;
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
        var member = await context.GetAsync(Members, MemberId(teamId, context.UserId), cancellationToken).ConfigureAwait(false);
        // The fields are compared as well, so a record whose id merely looks right never grants access.
        if (member is null || member.TeamId != teamId || member.UserId != context.UserId)
        {
            throw MutationRejectedException.Forbidden($"You are not a member of {await TeamNameAsync(context, teamId, cancellationToken).ConfigureAwait(false)}.");
        }
    }

    /// <summary>How a message names a team for people: its name (ids mean nothing to them), or "that team" when the
    /// caller cannot read it.</summary>
    public static async ValueTask<string> TeamNameAsync(IMutationContext context, string teamId, CancellationToken cancellationToken)
        => await context.GetAsync(Teams, teamId, cancellationToken).ConfigureAwait(false) is { Name.Length: > 0 } team
            ? $"the team \u201c{team.Name}\u201d"
            : "that team";

    /// <summary>Reads an entity that must exist.</summary>
    public static async ValueTask<T> RequireAsync<T>(IMutationContext context, SyncModel<T> model, string id, CancellationToken cancellationToken)
        where T : class =>
        await context.GetAsync(model, id, cancellationToken).ConfigureAwait(false)
            ?? throw MutationRejectedException.NotFound($"That {model.Name} does not exist (any more).");

    /// <summary>Reads a record that must exist, as stored (for the write policy, which works on records).</summary>
    public static async ValueTask<Record> RequireRecordAsync(IMutationContext context, string modelName, string id, CancellationToken cancellationToken) =>
        await context.GetAsync(modelName, id, cancellationToken).ConfigureAwait(false)
            ?? throw MutationRejectedException.NotFound($"That {modelName} does not exist (any more).");

    /// <summary>Reads an entity that must exist and belong to a team of the caller.</summary>
    public static async ValueTask<T> RequireTeamEntityAsync<T>(IMutationContext context, SyncModel<T> model, string id, CancellationToken cancellationToken)
        where T : class, ITeamOwned
    {
        var entity = await RequireAsync(context, model, id, cancellationToken).ConfigureAwait(false);
        // A record without a team can only come from outside the mutators; nobody may act on it here.
        if (string.IsNullOrEmpty(entity.TeamId))
        {
            throw MutationRejectedException.Forbidden($"That {model.Name} belongs to no team.");
        }
        await RequireMemberAsync(context, entity.TeamId, cancellationToken).ConfigureAwait(false);
        return entity;
    }

    /// <summary>The team of a stored record; a record without one can only come from outside the mutators, and
    /// nobody may act on it.</summary>
    public static string TeamIdOf(Record record) =>
        RecordData.GetString(record.Data, "teamId")
            ?? throw MutationRejectedException.Forbidden($"That {record.ModelName} belongs to no team.");

    /// <summary>Inserts the membership, which its model puts in both the team's group (members see each other) and
    /// the user's own group (the group resolver finds the user's teams there).</summary>
    public static async ValueTask AddMemberAsync(IMutationContext context, string teamId, string userId, CancellationToken cancellationToken)
    {
        if (await context.GetAsync(Members, MemberId(teamId, userId), cancellationToken).ConfigureAwait(false) is not null)
        {
            throw MutationRejectedException.InvalidArgs(
                $"{userId} is already a member of {await TeamNameAsync(context, teamId, cancellationToken).ConfigureAwait(false)}.");
        }
        var member = new Member
        {
            Id = MemberId(teamId, userId),
            CreatedBy = context.UserId,
            CreatedAt = RecordData.CreatedAt(context),
            TeamId = teamId,
            UserId = userId,
        };
        await context.InsertAsync(Members, member, cancellationToken).ConfigureAwait(false);
        context.SyncGroupsChanged(userId, granted: [TeamGroup(teamId)], revoked: []);
    }
}
