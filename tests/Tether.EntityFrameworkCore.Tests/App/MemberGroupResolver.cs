using Tether.Server;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Tests.App;

/// <summary>A user reads their own group, the public one, and the group of every team they are a member of (the
/// <c>member</c> rows of the app's table).</summary>
public sealed class MemberGroupResolver : ISyncGroupResolver
{
    public async ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
    {
        var groups = new HashSet<string>(StringComparer.Ordinal) { "user:" + userId, BoardModels.PublicGroup };
        foreach (Tether.Mutators.Record member in await records.ListRecordsAsync(BoardModels.Member.Name, "user:" + userId, cancellationToken))
        {
            if ((string?)member.Data["userId"] == userId && (string?)member.Data["teamId"] is { } teamId)
            {
                groups.Add("team:" + teamId);
            }
        }
        return groups;
    }
}
