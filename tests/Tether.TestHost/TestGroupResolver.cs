using Tether.Mutators;
using Tether.Server;
using Tether.Server.Storage;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>A user reads their own group and the group of every team they are a member of.</summary>
public sealed class TestGroupResolver : ISyncGroupResolver
{
    public async ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
    {
        var groups = new HashSet<string>(StringComparer.Ordinal) { UserGroup(userId) };
        foreach (Record member in await records.ListRecordsAsync(Member, UserGroup(userId), cancellationToken))
        {
            if (TeamRules.Text(member, "userId") == userId && TeamRules.Text(member, "teamId") is { } teamId)
            {
                groups.Add(TeamGroup(teamId));
            }
        }
        return groups;
    }
}
