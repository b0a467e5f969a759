using System.Net;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>The admin API under <c>/sync/admin</c> (what the <c>tether</c> tool and the inspector read): only the users of
/// <see cref="TetherServerOptions.Admins"/> get in, and it tells the head, horizon, connections, the log's tail with
/// filters and a user's groups, and compacts.</summary>
public sealed class AdminApiTests
{
    private static TestServerSettings WithAdmin => new() { Tether = o => o.Admins.Add("root") };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_an_admin_gets_in_and_everyone_else_gets_the_protocols_error_shape()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        using SyncApi root = server.Api("root");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };

        foreach (string path in new[] { "/sync/admin/status", "/sync/admin/log", "/sync/admin/clients", "/sync/admin/groups/alice" })
        {
            using HttpResponseMessage refused = await alice.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            await Errors.ReadAsync(refused, "forbidden");
            using HttpResponseMessage unauthorized = await anonymous.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
            using HttpResponseMessage admitted = await root.Http.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }
        using HttpResponseMessage compact = await alice.Http.PostAsync("/sync/admin/compact", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, compact.StatusCode);
    }

    [Fact]
    public async Task Status_tells_the_head_the_horizon_and_the_open_connections_by_transport()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        long head = await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        using var sse = new HttpRequestMessage(HttpMethod.Get, "/sync/events?from=" + head);
        using HttpResponseMessage stream = await alice.Http.SendAsync(sse, HttpCompletionOption.ResponseHeadersRead, Ct);
        using SyncApi root = server.Api("root");

        JsonElement status = await GetAsync(root, "/sync/admin/status");

        Assert.Equal(head, status.GetProperty("head").GetInt64());
        Assert.Equal(0, status.GetProperty("horizon").GetInt64());
        Assert.Equal(1, status.GetProperty("connections").GetProperty("total").GetInt32());
        Assert.Equal(1, status.GetProperty("connections").GetProperty("sse").GetInt32());
        JsonElement clients = await GetAsync(root, "/sync/admin/clients");
        JsonElement connection = Assert.Single(clients.GetProperty("connections").EnumerateArray());
        Assert.Equal("alice", connection.GetProperty("userId").GetString());
        Assert.Equal("sse", connection.GetProperty("transport").GetString());
    }

    [Fact]
    public async Task On_PostgreSQL_the_status_carries_the_sequencers_slot_lag()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin with { OnPostgres = true });
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        using SyncApi root = server.Api("root");

        JsonElement status = await GetAsync(root, "/sync/admin/status");

        JsonElement sequencer = status.GetProperty("health").EnumerateObject()
            .Single(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("slotLagBytes", out _)).Value;
        Assert.True(long.Parse(sequencer.GetProperty("slotLagBytes").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
    }

    [Fact]
    public async Task The_log_is_read_newest_first_with_filters_and_a_bad_limit_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        await seed.IssueAsync("i1", "p1");
        long head = await seed.IssueAsync("i2", "p1");
        using SyncApi root = server.Api("root");

        JsonElement[] newest = [.. (await GetAsync(root, "/sync/admin/log?limit=2")).GetProperty("actions").EnumerateArray()];
        Assert.Equal([head, head - 1], newest.Select(a => a.GetProperty("syncId").GetInt64()));
        Assert.Equal("i2", newest[0].GetProperty("modelId").GetString());
        Assert.Equal("a1", newest[0].GetProperty("clientId").GetString());
        JsonElement[] projects = [.. (await GetAsync(root, "/sync/admin/log?model=project")).GetProperty("actions").EnumerateArray()];
        Assert.Equal("p1", Assert.Single(projects).GetProperty("modelId").GetString());

        using HttpResponseMessage bad = await root.Http.GetAsync("/sync/admin/log?limit=0", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        await Errors.ReadAsync(bad, "bad_request");
    }

    [Fact]
    public async Task Groups_are_the_users_resolved_sync_groups()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        using SyncApi root = server.Api("root");

        JsonElement groups = await GetAsync(root, "/sync/admin/groups/alice");

        Assert.Contains("team:t1", groups.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task Compact_up_to_a_syncId_raises_the_horizon_and_one_beyond_the_head_is_refused()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        long head = await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        using SyncApi root = server.Api("root");

        using HttpResponseMessage beyond = await root.Http.PostAsync($"/sync/admin/compact?upTo={head + 1}", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        await Errors.ReadAsync(beyond, "bad_request");
        using HttpResponseMessage compacted = await root.Http.PostAsync($"/sync/admin/compact?upTo={head - 1}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, compacted.StatusCode);
        Assert.Equal(head - 1, JsonDocument.Parse(await compacted.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("horizon").GetInt64());
        using HttpResponseMessage delta = await alice.Http.GetAsync(SyncApi.DeltaUrl(0), Ct);
        await Errors.ReadAsync(delta, "resync_required");
    }

    [Fact]
    public async Task Compact_applies_the_retention_policy_and_a_policy_that_keeps_everything_removes_nothing()
    {
        var retention = new TetherRetention { KeepFor = null, KeepActions = null };
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Tether = o =>
            {
                o.Admins.Add("root");
                o.Retention = retention;
            },
        });
        using SyncApi alice = server.Api("alice");
        long head = await new Seed(alice, "a1").TeamWithProjectAsync("t1", "p1");
        using SyncApi root = server.Api("root");

        Assert.Equal(0, await CompactAsync(root));

        retention.KeepActions = 1;
        Assert.Equal(head - 1, await CompactAsync(root));
    }

    private static async Task<long> CompactAsync(SyncApi admin)
    {
        using HttpResponseMessage response = await admin.Http.PostAsync("/sync/admin/compact", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("horizon").GetInt64();
    }

    private static async Task<JsonElement> GetAsync(SyncApi api, string path)
    {
        using HttpResponseMessage response = await api.Http.GetAsync(path, Ct);
        string body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
