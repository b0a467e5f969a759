using System.Net;
using System.Net.Http.Headers;
using Tether.Server.Tests.Harness;
using static Tether.Replicache.Tests.ReplicacheApi;

namespace Tether.Replicache.Tests;

/// <summary>The poke stream tells a client group when to pull.</summary>
public sealed class PokeTests
{
    [Fact]
    public async Task A_commit_in_the_users_groups_pokes_the_client_group_and_another_users_group_cannot_listen()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var alice = new ReplicacheApi(server, "alice");
        await alice.PushAsync("tab-1", Mutation("c1", 1, "createTeam", new { id = "t1", name = "Core" }));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:alice");
        using HttpResponseMessage stream = await http.GetAsync("/replicache/poke?clientGroupID=tab-1", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        Assert.Equal("poke", await NextDataAsync(reader));

        // Another tab of alice's pushes: this group is poked.
        await alice.PushAsync("tab-2", Mutation("c2", 1, "createProject", new { id = "p1", teamId = "t1", name = "Sync" }));

        Assert.Equal("poke", await NextDataAsync(reader));
        using var bob = new HttpClient { BaseAddress = server.BaseAddress };
        bob.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bob");
        using HttpResponseMessage stolen = await bob.GetAsync("/replicache/poke?clientGroupID=tab-1", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
    }

    [Fact]
    public async Task The_poke_stream_ends_when_its_token_expires()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        DateTimeOffset expires = DateTimeOffset.UtcNow.AddSeconds(6);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("alice", expires));
        using HttpResponseMessage stream = await http.GetAsync("/replicache/poke?clientGroupID=tab-1", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        Assert.Equal("poke", await NextDataAsync(reader));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(timeout.Token) is not null)
        {
        }

        Assert.True(DateTimeOffset.UtcNow >= Tokens.ExpOf(expires) - TimeSpan.FromMilliseconds(50), "the stream ended before its token expired");
    }

    private static async Task<string> NextDataAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            string? line = await reader.ReadLineAsync(timeout.Token);
            Assert.NotNull(line);
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line["data: ".Length..];
            }
        }
    }
}
