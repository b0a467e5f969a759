using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>Development tokens (<c>Bearer dev:&lt;userId&gt;</c>) let anyone act as anyone, so a server in the
/// Production environment, where an app deployed without ASPNETCORE_ENVIRONMENT runs, refuses to start with them.</summary>
public sealed class DevelopmentTokensTests
{
    [Fact]
    public async Task A_server_in_Production_with_development_tokens_refuses_to_start_and_says_what_to_configure()
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(
            () => TestServer.StartAsync(new TestServerSettings { Environment = "Production" }));

        Assert.Contains("Tether:DevelopmentTokens is on in the Production environment", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Tether:Jwt:Key", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_in_Production_with_a_JWT_key_takes_signed_tokens_and_refuses_development_ones()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer() with { Environment = "Production" });
        using var alice = new SyncApi(server, "alice");

        using (HttpResponseMessage development = await alice.PushRawAsync("c1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, development.StatusCode);
        }
        alice.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddMinutes(5)));
        using HttpResponseMessage signed = await alice.PushRawAsync("c1");
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Staging")]
    public async Task Outside_Production_development_tokens_are_taken(string environment)
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Environment = environment });
        using var alice = new SyncApi(server, "alice");

        using HttpResponseMessage response = await alice.PushRawAsync("c1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
