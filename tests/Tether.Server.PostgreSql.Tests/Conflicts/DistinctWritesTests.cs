using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>Writers of two nodes that share only what they read (the project, the team) and insert different new
/// records never fail each other: a writer's commit checks just the keys it read and writes. Under SERIALIZABLE such
/// writers failed each other often, because PostgreSQL's predicate locks cover whole index pages.</summary>
public sealed class DistinctWritesTests
{
    private const int UsersPerNode = 4;
    private const int IssuesPerUser = 10;

    [Fact]
    public async Task Users_on_two_nodes_creating_issues_in_one_project_at_once_never_lose_a_conflict()
    {
        await using TestServer a = await TestServer.StartAsync(new TestServerSettings { OnPostgres = true });
        await using TestServer b = await TestServer.StartAsync(new TestServerSettings { PostgresConnection = a.PostgresConnection });
        using var metersA = new ServerMeters(a);
        using var metersB = new ServerMeters(b);
        using SyncApi owner = a.Api("owner");
        var seed = new Seed(owner, "seed");
        await seed.TeamWithProjectAsync("t1", "p1");
        string[] users = [.. Enumerable.Range(0, 2 * UsersPerNode).Select(u => $"user{u}")];
        foreach (string user in users)
        {
            await seed.MemberAsync("t1", user);
        }

        await Task.WhenAll(users.Select(async (user, u) =>
        {
            using SyncApi api = (u % 2 == 0 ? a : b).Api(user);
            for (int i = 1; i <= IssuesPerUser; i++)
            {
                await api.ApplyAsync(user + "-client", i, "createIssue", new { id = $"{user}-issue-{i}", projectId = "p1", title = "Issue" });
            }
        }));

        Assert.Equal(0, metersA.Sum("tether.server.commit.conflicts") + metersB.Sum("tether.server.commit.conflicts"));
        Assert.Equal(users.Length * IssuesPerUser, (await owner.AllActionsAsync()).Count(x => x.ModelName() == "issue"));
    }
}
