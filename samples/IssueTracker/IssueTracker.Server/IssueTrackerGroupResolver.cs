using Tether.Server;
using Tether.Server.Storage;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Server;

/// <summary>A user reads their own group (where their memberships live) and the group of every team they belong to.</summary>
public sealed class IssueTrackerGroupResolver : ISyncGroupResolver
{
    public async ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
    {
        var groups = new HashSet<string>(StringComparer.Ordinal) { UserGroup(userId) };
        var memberships = await records.ListRecordsAsync(Member, UserGroup(userId), cancellationToken).ConfigureAwait(false);
        foreach (var member in memberships)
        {
            // Only the mutators write members, but a record's group alone should never be what grants a team.
            if (RecordData.GetString(member.Data, "userId") == userId && RecordData.GetString(member.Data, "teamId") is { } teamId)
            {
                groups.Add(TeamGroup(teamId));
            }
        }
        return groups;
    }
}
