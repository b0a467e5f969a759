using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tether.Server;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using Tether.TestHost;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>
/// D1: a user pushing batches of 1,000 <c>createTeam</c> (each changes that user's groups) made the single writer
/// resolve the user's whole group set again before every mutation, O(teams) each, on its critical path; other users'
/// pushes waited behind it for tens of seconds. A user is now resolved once and the writer keeps the set up to date
/// from what the mutations say they grant, and a long push shares the writer with other users' pushes (FairnessTests
/// has the turn-taking itself).
/// </summary>
public sealed class D1_one_users_group_changes_stalled_every_other_users_writes
{
    [Fact]
    public async Task Pushes_of_a_thousand_group_changes_resolve_the_users_groups_once_not_once_per_mutation()
    {
        var resolver = new CountingResolver(new TestGroupResolver());
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = options => options.Limits.RequestsPerSecond = 0,
            Builder = tether => tether.Services.Replace(ServiceDescriptor.Singleton<ISyncGroupResolver>(resolver)),
        });
        using SyncApi flooder = server.Api("flooder");

        for (int round = 0; round < 2; round++)
        {
            var mutations = Enumerable.Range(1, 1_000)
                .Select(i => M(round * 1_000 + i, "createTeam", new { id = $"t{round}-{i}", name = "Flood" }))
                .ToArray();
            var result = await flooder.PushAsync("flood-1", mutations);

            Assert.Equal((round + 1) * 1_000L, result.GetProperty("lastMutationId").GetInt64());
            Assert.All(result.GetProperty("results").EnumerateArray(), r => Assert.Equal("applied", r.GetProperty("status").GetString()));
        }
        // 2,000 group changes over 20 commits, and nobody else writes: the first commit resolves the user, and every
        // later one keeps the set up to date from what createTeam says it grants.
        Assert.Equal(1, resolver.CallsFor("flooder"));
    }

    /// <summary>The app's resolver, counting its calls per user.</summary>
    private sealed class CountingResolver(ISyncGroupResolver inner) : ISyncGroupResolver
    {
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

        public int CallsFor(string userId) => _calls.GetValueOrDefault(userId);

        public ValueTask<IReadOnlySet<string>> ResolveAsync(string userId, IRecordReader records, CancellationToken cancellationToken)
        {
            _calls.AddOrUpdate(userId, 1, (_, calls) => calls + 1);
            return inner.ResolveAsync(userId, records, cancellationToken);
        }
    }
}
