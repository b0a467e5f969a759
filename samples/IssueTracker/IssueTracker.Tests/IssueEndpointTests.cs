using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tether.Server.Tests.Harness;

namespace IssueTracker.Tests;

/// <summary><c>POST /api/projects/{projectId}/issues</c>: a REST endpoint that writes with EF Core and no mutator,
/// under the same sign-in, rate and membership rules as the mutators, answering every mistake in the protocol's
/// error shape and never with a 500.</summary>
public sealed partial class IssueEndpointTests
{
    [GeneratedRegex("\"createdAt\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z\"")]
    private static partial Regex CreatedAt();

    private static Task<HttpResponseMessage> PostAsync(SyncApi api, string projectId, string body)
        => api.Http.PostAsync($"/api/projects/{Uri.EscapeDataString(projectId)}/issues", new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<SyncApi> TeamWithProjectAsync(TestServer server, string userId = "alice")
    {
        SyncApi api = server.Api(userId);
        await new Seed(api, userId + "-seed").TeamWithProjectAsync("t1", "p1");
        return api;
    }

    private static async Task<string[]> IssueIdsAsync(SyncApi api)
        => [.. (await api.BootstrapAsync(new { type = "eager", models = new[] { "issue" } })).Rows.Keys.Select(key => key.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_member_creates_an_issue_answered_201_with_the_json_createIssue_writes_and_bootstrap_serves_the_same()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        await new Seed(alice, "alice-2").RunAsync("createIssue", new { id = "by-mutator", projectId = "p1", title = "Same shape", description = "Body", status = "doing" });

        using HttpResponseMessage created = await PostAsync(alice, "p1", """{"id":"by-rest","title":"Same shape","description":"Body","status":"doing"}""");
        using HttpResponseMessage defaults = await PostAsync(alice, "p1", """{"id":"plain","title":"Defaults"}""");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/json", created.Content.Headers.ContentType?.MediaType);
        string json = await created.Content.ReadAsStringAsync();
        Assert.Equal("""{"id":"by-rest","createdBy":"alice","createdAt":"T","projectId":"p1","teamId":"t1","title":"Same shape","description":"Body","status":"doing"}""",
            CreatedAt().Replace(json, "\"createdAt\":\"T\""));
        Assert.Equal(HttpStatusCode.Created, defaults.StatusCode);
        using JsonDocument plain = JsonDocument.Parse(await defaults.Content.ReadAsStringAsync());
        Assert.Equal("", plain.RootElement.GetProperty("description").GetString());
        Assert.Equal("todo", plain.RootElement.GetProperty("status").GetString());

        // Bootstrap reads both from the app's table: the REST row as it was answered, the mutator's in the same shape.
        BootstrapResult rows = await alice.BootstrapAsync(new { type = "eager", models = new[] { "issue" } });
        Assert.Equal(json, rows.Rows[("issue", "by-rest")].GetRawText());
        Assert.Equal(
            CreatedAt().Replace(json, "\"createdAt\":\"T\"").Replace("by-rest", "by-mutator", StringComparison.Ordinal),
            CreatedAt().Replace(rows.Rows[("issue", "by-mutator")].GetRawText(), "\"createdAt\":\"T\""));
    }

    [Theory]
    [InlineData("""{"title":"No id"}""")]
    [InlineData("""{"id":"","title":"Empty id"}""")]
    [InlineData("""{"id":5,"title":"A number for an id"}""")]
    [InlineData("""{"id":"i9"}""")]
    [InlineData("""{"id":"i9","title":null}""")]
    [InlineData("""{"id":"i9","title":"   "}""")]
    [InlineData("""{"id":"i9","title":"Bad status","status":"blocked"}""")]
    [InlineData("""{"id":"i9","title":"Unknown field","priority":1}""")]
    [InlineData("""{"id":"i9","title":"Team from the client","teamId":"t2"}""")]
    [InlineData("""{"id":"taken","title":"An id that exists"}""")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task An_invalid_body_or_an_existing_id_is_answered_400_and_writes_nothing(string body)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        await new Seed(alice, "alice-2").IssueAsync("taken", "p1");
        string[] before = await IssueIdsAsync(alice);

        using HttpResponseMessage response = await PostAsync(alice, "p1", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
        Assert.Equal(before, await IssueIdsAsync(alice));
    }

    [Theory]
    [InlineData("id", 129)]
    [InlineData("title", 501)]
    [InlineData("description", 10_001)]
    public async Task A_field_over_its_limit_is_answered_400_naming_it(string field, int length)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        var body = new Dictionary<string, string> { ["id"] = "i1", ["title"] = "T", [field] = new string('x', length) };

        using HttpResponseMessage response = await PostAsync(alice, "p1", JsonSerializer.Serialize(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"'{field}'", (await Errors.ReadAsync(response, "bad_request")).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await IssueIdsAsync(alice));
    }

    [Fact]
    public async Task A_request_without_a_valid_bearer_token_is_answered_401()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using var forged = new HttpClient { BaseAddress = server.BaseAddress };
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        const string body = """{"id":"i1","title":"Who am I"}""";

        foreach (HttpClient http in new[] { anonymous, forged })
        {
            using HttpResponseMessage response = await http.PostAsync("/api/projects/p1/issues", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await Errors.ReadAsync(response, "unauthorized");
        }
        Assert.Empty(await IssueIdsAsync(alice));
    }

    [Fact]
    public async Task A_user_over_the_request_rate_is_answered_429_with_retry_after()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Tether = o => { o.Limits.RequestsPerSecond = 1; o.Limits.RequestBurst = 2; } });
        using SyncApi bob = server.Api("bob");

        HttpResponseMessage? limited = null;
        for (int i = 0; i < 20 && limited is null; i++)
        {
            HttpResponseMessage response = await PostAsync(bob, "p1", """{"id":"i1","title":"Again and again"}""");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                // Bob is over no rate yet: the project does not exist.
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.NotNull(limited.Headers.RetryAfter);
            await Errors.ReadAsync(limited, "rate_limited");
        }
    }

    [Fact]
    public async Task A_caller_outside_the_projects_team_is_answered_403_and_a_project_that_does_not_exist_404()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        using SyncApi bob = server.Api("bob");
        const string body = """{"id":"i1","title":"Not mine to add"}""";

        using HttpResponseMessage outsider = await PostAsync(bob, "p1", body);
        using HttpResponseMessage missing = await PostAsync(alice, "p-none", body);

        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        await Errors.ReadAsync(outsider, "forbidden");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await Errors.ReadAsync(missing, "not_found");
        Assert.Empty(await IssueIdsAsync(alice));
    }

    [Fact]
    public async Task Two_requests_for_one_new_id_at_once_create_it_once_and_the_other_is_answered_400()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);

        HttpResponseMessage[] responses = await Task.WhenAll(
            PostAsync(alice, "p1", """{"id":"i1","title":"First"}"""),
            PostAsync(alice, "p1", """{"id":"i1","title":"Second"}"""));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.BadRequest], responses.Select(r => r.StatusCode).Order());
        await Errors.ReadAsync(responses.Single(r => r.StatusCode == HttpStatusCode.BadRequest), "bad_request");
        Assert.Equal(["i1"], await IssueIdsAsync(alice));
        foreach (HttpResponseMessage response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task An_issue_created_through_the_endpoint_reaches_a_live_member_of_the_team()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = await TeamWithProjectAsync(server);
        await new Seed(alice, "alice-2").MemberAsync("t1", "bob");
        await using LiveClient bob = await LiveClient.ConnectAsync(server, "bob", "b1");
        await bob.ExpectAsync("handshake");

        using HttpResponseMessage created = await PostAsync(alice, "p1", """{"id":"i1","title":"Live from REST"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // A mutation committed after the endpoint's write: once bob has it, he has everything committed before it.
        long after = await new Seed(alice, "alice-3").IssueAsync("i2", "p1", "After it");

        JsonElement[] actions = [.. (await bob.ReadUntilAsync(after)).Where(f => f.IsSyncLike()).SelectMany(f => f.Actions())];
        JsonElement arrived = Assert.Single(actions, a => a.ModelName() == "issue" && a.ModelId() == "i1");
        Assert.Equal(await created.Content.ReadAsStringAsync(), arrived.GetProperty("data").GetRawText());
    }
}
