using System.Net;
using Npgsql;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>While PostgreSQL refuses the server, requests are answered 503 <c>unavailable</c> (which clients retry),
/// never 500, and the server serves again as soon as the database is back.</summary>
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task Requests_while_the_database_refuses_connections_are_answered_unavailable_and_served_once_it_is_back()
    {
        await using TestServer server = await Nodes.StartAsync();
        using SyncApi alice = server.Api("alice");
        await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "Core" });
        string database = new NpgsqlConnectionStringBuilder(server.PostgresConnection).Database!;

        await SetAllowConnectionsAsync(database, allow: false);
        try
        {
            await PostgresDatabase.TerminateConnectionsAsync(database);
            using HttpResponseMessage delta = await alice.Http.GetAsync(SyncApi.DeltaUrl(0), TestContext.Current.CancellationToken);
            using HttpResponseMessage push = await alice.PushRawAsync("c1", SyncApi.M(2, "createProject", new { id = "p1", teamId = "t1", name = "P" }));

            foreach (HttpResponseMessage response in new[] { delta, push })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.NotNull(response.Headers.RetryAfter);
                await Errors.ReadAsync(response, "unavailable");
            }
        }
        finally
        {
            await SetAllowConnectionsAsync(database, allow: true);
        }

        Assert.Single(await alice.AllActionsAsync(), a => a.ModelId() == "t1");
        await alice.ApplyAsync("c1", 2, "createProject", new { id = "p1", teamId = "t1", name = "P" });
    }

    private static Task SetAllowConnectionsAsync(string database, bool allow)
        => PostgresDatabase.ExecuteAsAdminAsync($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS {(allow ? "true" : "false")}");
}
