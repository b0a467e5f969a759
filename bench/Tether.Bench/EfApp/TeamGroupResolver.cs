using Tether.Server;
using Tether.Server.Storage;

namespace Tether.Bench.EfApp;

/// <summary>Every bench user is a member of the one team: the same answer on both stores, with no read, so that the
/// figures compare the stores alone.</summary>
internal sealed class TeamGroupResolver : ISyncGroupResolver
{
    private static readonly IReadOnlySet<string> Groups = new HashSet<string>(StringComparer.Ordinal) { "team:" + BenchModels.TeamId };

    public ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
        => ValueTask.FromResult(Groups);
}
