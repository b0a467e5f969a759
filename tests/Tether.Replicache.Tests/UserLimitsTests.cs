using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Replicache.Tests;

/// <summary>Poke streams count against the user's connection limit, shared with the other front ends.</summary>
public sealed class UserLimitsTests
{
    [Fact]
    public async Task A_poke_stream_beyond_the_users_connection_limit_is_refused_with_429()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxConnectionsPerUser = 1 });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:alice");
        using HttpResponseMessage first = await http.GetAsync("/replicache/poke?clientGroupID=tab-1", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using HttpResponseMessage second = await http.GetAsync("/replicache/poke?clientGroupID=tab-2", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        JsonElement error = await Errors.ReadAsync(second, "rate_limited");
        Assert.Contains("connections", error.GetProperty("message").GetString());
    }
}
