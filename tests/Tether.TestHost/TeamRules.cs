using System.Text.Json.Nodes;
using Tether.Mutators;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>The rules every mutator applies: the records it names exist, and the caller is a member of their team.</summary>
internal static class TeamRules
{
    public static async ValueTask<Record> RequireAsync(IMutationContext context, string modelName, string id, CancellationToken cancellationToken)
        => await context.GetAsync(modelName, id, cancellationToken) ?? throw MutationRejectedException.NotFound($"There is no {modelName} '{id}'.");

    /// <summary>Membership is read from the member record, not from the user's sync groups, so that a team created
    /// earlier in the same push (or, on a client, not confirmed yet) already counts.</summary>
    public static async ValueTask RequireMemberAsync(IMutationContext context, string teamId, CancellationToken cancellationToken)
    {
        Record? member = await context.GetAsync(Member, MemberId(teamId, context.UserId), cancellationToken);
        if (member is null || Text(member, "teamId") != teamId || Text(member, "userId") != context.UserId)
        {
            throw MutationRejectedException.Forbidden($"You are not a member of team '{teamId}'.");
        }
    }

    /// <summary>The team of a record the caller must be a member of; returns the team's id.</summary>
    public static async ValueTask<string> RequireOwnTeamAsync(IMutationContext context, Record record, CancellationToken cancellationToken)
    {
        string teamId = Text(record, "teamId") ?? throw MutationRejectedException.Forbidden($"The {record.ModelName} '{record.Id}' belongs to no team.");
        await RequireMemberAsync(context, teamId, cancellationToken);
        return teamId;
    }

    public static async ValueTask AddMemberAsync(IMutationContext context, string teamId, string userId, CancellationToken cancellationToken)
    {
        string id = MemberId(teamId, userId);
        JsonObject member = NewRecord(context, id);
        member["teamId"] = teamId;
        member["userId"] = userId;
        await context.InsertAsync(Member, id, member, [TeamGroup(teamId), UserGroup(userId)], cancellationToken);
        context.SyncGroupsChanged(userId, granted: [TeamGroup(teamId)], revoked: []);
    }

    public static JsonObject NewRecord(IMutationContext context, string id) => new() { ["id"] = id, ["createdBy"] = context.UserId };

    public static string? Text(Record record, string field)
        => record.Data[field] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
