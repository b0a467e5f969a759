using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>Servers on PostgreSQL: a first node with a fresh database of its own, and more nodes on that database.</summary>
internal static class Nodes
{
    public static Task<TestServer> StartAsync() => TestServer.StartAsync(new TestServerSettings { OnPostgres = true });

    public static Task<TestServer> JoinAsync(TestServer first)
        => TestServer.StartAsync(new TestServerSettings { PostgresConnection = first.PostgresConnection ?? throw new InvalidOperationException("The first node is not on PostgreSQL.") });
}
