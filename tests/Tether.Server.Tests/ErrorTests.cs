using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

public sealed class ErrorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-token")]
    [InlineData("Bearer dev:")]
    [InlineData("Basic YWxpY2U6cHc=")]
    public async Task Missing_or_bad_token_is_unauthorized_on_every_endpoint(string? authorization)
    {
        await using TestServer server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (HttpRequestMessage request in EveryEndpoint())
        {
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await Errors.ReadAsync(response, "unauthorized");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-token")]
    [InlineData("Bearer dev:")]
    [InlineData("expired")]
    public async Task A_live_WebSocket_upgrade_without_a_valid_token_is_answered_401_before_any_frame(string? authorization)
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = o =>
            {
                o.Jwt.Key = Tokens.Key;
                o.Jwt.ClockSkew = TimeSpan.Zero;
            },
        });
        if (authorization == "expired")
        {
            authorization = "Bearer " + Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddMinutes(-1));
        }
        var uri = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/sync/live" }.Uri;

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(Tether.Protocol.ProtocolHeaders.WebSocketSubProtocol);
        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);

        // The same upgrade request sent by hand shows the answer's body: the protocol's error shape.
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var upgrade = new HttpRequestMessage(HttpMethod.Get, "/sync/live");
        upgrade.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        upgrade.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        upgrade.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        upgrade.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        upgrade.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", Tether.Protocol.ProtocolHeaders.WebSocketSubProtocol);
        if (authorization is not null)
        {
            upgrade.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        using HttpResponseMessage response = await http.SendAsync(upgrade, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Errors.ReadAsync(response, "unauthorized");
    }

    [Fact]
    public async Task Development_tokens_are_refused_when_development_mode_is_off()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.DevelopmentTokens = false });
        using SyncApi alice = server.Api("alice");
        using HttpResponseMessage response = await alice.Http.GetAsync("/sync/delta?from=0");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Signed_JWT_identifies_the_user_and_a_wrongly_signed_one_is_refused()
    {
        const string key = Tokens.Key;
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.DevelopmentTokens = false; o.Jwt.Key = key; o.Jwt.Issuer = "tests"; } });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("carol", DateTimeOffset.UtcNow.AddMinutes(5), key, "tests"));
        using HttpResponseMessage pushed = await http.PostAsync("/sync/push", Json(new JsonObject { ["clientId"] = "c1", ["mutations"] = new JsonArray(M(1, "createTeam", new { id = "t1", name = "T" })) }));
        Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        using HttpResponseMessage delta = await http.GetAsync("/sync/delta?from=0");
        JsonElement team = JsonDocument.Parse(await delta.Content.ReadAsStringAsync()).RootElement.GetProperty("sync")[0];
        Assert.Equal("carol", team.GetProperty("data").GetProperty("createdBy").GetString());

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("carol", DateTimeOffset.UtcNow.AddMinutes(5), "another-key-that-is-also-32-bytes-long!!", "tests"));
        using HttpResponseMessage forged = await http.GetAsync("/sync/delta?from=0");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Jwt("carol", DateTimeOffset.UtcNow.AddMinutes(5), key, "someone-else"));
        using HttpResponseMessage wrongIssuer = await http.GetAsync("/sync/delta?from=0");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongIssuer.StatusCode);
    }

    [Theory]
    [InlineData("Tether-Schema", "2")]
    [InlineData("Tether-Schema", "abc")]
    [InlineData("Tether-Protocol", "7")]
    public async Task Unsupported_protocol_or_schema_is_a_schema_mismatch_with_the_supported_range(string header, string value)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        alice.Http.DefaultRequestHeaders.Remove(header);
        alice.Http.DefaultRequestHeaders.Add(header, value);

        using HttpResponseMessage response = await alice.Http.GetAsync("/sync/delta?from=0");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        JsonElement supported = (await Errors.ReadAsync(response, "schema_mismatch")).GetProperty("supported");
        Assert.Equal(1, supported.GetProperty("min").GetInt32());
        Assert.Equal(1, supported.GetProperty("max").GetInt32());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"clientId\":\"c1\"}")]
    [InlineData("{\"clientId\":\"c1\",\"mutations\":[{\"id\":\"one\",\"name\":\"x\",\"args\":{}}]}")]
    [InlineData("{\"clientId\":\"\",\"mutations\":[]}")]
    [InlineData("{\"clientId\":\"c1\",\"mutations\":[{\"id\":1,\"name\":\"createTeam\",\"args\":{}},{\"id\":3,\"name\":\"createTeam\",\"args\":{}}]}")]
    [InlineData("{\"clientId\":\"c1\",\"mutations\":[{\"id\":0,\"name\":\"createTeam\",\"args\":{}}]}")]
    public async Task Malformed_push_is_a_bad_request_and_changes_nothing(string body)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.Http.PostAsync("/sync/push", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
        Assert.Equal(0, (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64());
    }

    [Fact]
    public async Task Too_deeply_nested_JSON_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxJsonDepth = 8 });
        using SyncApi alice = server.Api("alice");
        string deep = new string('[', 20) + new string(']', 20);
        string body = $"{{\"clientId\":\"c1\",\"mutations\":[{{\"id\":1,\"name\":\"createTeam\",\"args\":{{\"id\":{deep}}}}}]}}";

        using HttpResponseMessage response = await alice.Http.PostAsync("/sync/push", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }

    [Fact]
    public async Task Body_over_the_size_limit_is_payload_too_large()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBodyBytes = 10_000 });
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.PushRawAsync("c1", M(1, "createTeam", new { id = "t1", name = new string('x', 20_000) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Errors.ReadAsync(response, "payload_too_large");
    }

    [Fact]
    public async Task Chunked_body_over_the_size_limit_is_payload_too_large()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBodyBytes = 10_000 });
        using SyncApi alice = server.Api("alice");
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 50_000) + "{}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/sync/bootstrap") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await alice.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Errors.ReadAsync(response, "payload_too_large");
    }

    [Fact]
    public async Task Batch_over_the_mutation_limit_is_payload_too_large()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => o.Limits.MaxBatchSize = 3 });
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.PushRawAsync("c1", [.. Enumerable.Range(1, 4).Select(i => M(i, "createTeam", new { id = $"t{i}", name = "T" }))]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Errors.ReadAsync(response, "payload_too_large");
    }

    [Fact]
    public async Task A_user_over_the_rate_is_rate_limited_with_retry_after_and_others_are_not()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.RequestsPerSecond = 1; o.Limits.RequestBurst = 3; } });
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 10 && limited is null; i++)
        {
            HttpResponseMessage response = await alice.Http.GetAsync("/sync/delta?from=0");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(statuses.Count >= 3, "the burst of 3 requests must pass before the limit");
            Assert.NotNull(limited.Headers.RetryAfter);
            await Errors.ReadAsync(limited, "rate_limited");
        }
        using HttpResponseMessage bobs = await bob.Http.GetAsync("/sync/delta?from=0");
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode);
    }

    [Fact]
    public async Task Health_reports_the_head()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        long lastSyncId = await alice.ApplyAsync("c1", 1, "createTeam", new { id = "t1", name = "T" });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        JsonElement health = JsonDocument.Parse(await http.GetStringAsync("/sync/health")).RootElement;

        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.Equal(lastSyncId, health.GetProperty("head").GetInt64());
    }

    private static IEnumerable<HttpRequestMessage> EveryEndpoint()
    {
        yield return new HttpRequestMessage(HttpMethod.Post, "/sync/push") { Content = Json(new JsonObject { ["clientId"] = "c1", ["mutations"] = new JsonArray() }) };
        yield return new HttpRequestMessage(HttpMethod.Post, "/sync/bootstrap") { Content = Json(new JsonObject { ["type"] = "eager" }) };
        yield return new HttpRequestMessage(HttpMethod.Get, "/sync/delta?from=0");
        yield return new HttpRequestMessage(HttpMethod.Get, "/sync/poll?from=0&timeoutMs=10");
        yield return new HttpRequestMessage(HttpMethod.Get, "/sync/events");
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
