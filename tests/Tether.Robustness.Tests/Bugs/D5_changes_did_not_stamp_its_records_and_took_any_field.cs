using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.Mutators;
using Tether.Server;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D5: a <c>changes</c> create did not stamp <c>createdBy</c>/<c>createdAt</c> (a forged <c>createdAt</c> of
/// 2000-01-01 was stored as sent), and an unknown 3,000,000-character field was accepted.</summary>
public sealed class D5_changes_did_not_stamp_its_records_and_took_any_field
{
    [Fact]
    public async Task A_create_gets_the_servers_createdBy_and_createdAt_whatever_the_client_sent()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "c1");
        await seed.TeamWithProjectAsync("t1", "p1");
        DateTimeOffset before = DateTimeOffset.UtcNow;

        await alice.ApplyAsync("c1", seed.NextId, "changes", Create("i1", new Dictionary<string, object>
        {
            ["teamId"] = "t1",
            ["projectId"] = "p1",
            ["title"] = "Backdated",
            ["status"] = "todo",
            ["createdAt"] = "2000-01-01T00:00:00.000Z",
            ["createdBy"] = "mallory",
        }));

        DateTimeOffset after = DateTimeOffset.UtcNow;
        JsonElement issue = (await alice.AllActionsAsync()).Single(a => a.GetProperty("modelId").GetString() == "i1").GetProperty("data");
        Assert.Equal("alice", issue.GetProperty("createdBy").GetString());
        DateTimeOffset createdAt = DateTimeOffset.Parse(issue.GetProperty("createdAt").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(createdAt, before, after);
    }

    [Fact]
    public async Task An_unknown_field_of_3000000_characters_is_refused_as_invalid_args()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "c1");
        await seed.TeamWithProjectAsync("t1", "p1");
        long head = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        JsonElement result = await PushOneAsync(alice, seed, Create("i1", new Dictionary<string, object>
        {
            ["teamId"] = "t1",
            ["projectId"] = "p1",
            ["title"] = "Huge",
            ["status"] = "todo",
            ["junk"] = new string('x', 3_000_000),
        }));

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Equal("invalid_args", result.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(head, (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64());
    }

    [Fact]
    public async Task An_unknown_field_is_refused_as_invalid_args_and_named()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "c1");
        await seed.TeamWithProjectAsync("t1", "p1");

        JsonElement result = await PushOneAsync(alice, seed, Create("i1", new Dictionary<string, object>
        {
            ["teamId"] = "t1",
            ["projectId"] = "p1",
            ["title"] = "Coloured",
            ["status"] = "todo",
            ["colour"] = "red",
        }));

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        JsonElement error = result.GetProperty("error");
        Assert.Equal("invalid_args", error.GetProperty("code").GetString());
        Assert.Contains("'colour'", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("createdAt", "2000-01-01T00:00:00.000Z")]
    [InlineData("createdBy", "mallory")]
    public async Task An_update_may_not_rewrite_a_stamp_even_when_the_apps_policy_would_let_it(string field, string forged)
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = builder => builder.Services.AddSingleton<IWritePolicy, AnythingInTeamT1>(),
        });
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "c1");
        await seed.TeamAsync("t1");
        JsonElement created = await PushOneAsync(alice, seed, Create("n1", new Dictionary<string, object> { ["title"] = "A note" }));
        Assert.Equal("applied", created.GetProperty("status").GetString());

        JsonElement result = (await alice.PushAsync("c1", SyncApi.M(seed.NextId + 1, "changes", new
        {
            changes = new[] { new { action = "update", modelName = "issue", modelId = "n1", data = new Dictionary<string, string> { [field] = forged } } },
        }))).GetProperty("results")[0];

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Equal("forbidden", result.GetProperty("error").GetProperty("code").GetString());
    }

    private static object Create(string id, Dictionary<string, object> data)
        => new { changes = new[] { new { action = "create", modelName = "issue", modelId = id, data } } };

    private static async Task<JsonElement> PushOneAsync(SyncApi api, Seed seed, object args)
        => (await api.PushAsync(seed.ClientId, SyncApi.M(seed.NextId, "changes", args))).GetProperty("results")[0];

    /// <summary>A policy that lets every change of a titled issue in team t1 through, so that only the server's own
    /// rules stand between a client and the stamps.</summary>
    private sealed class AnythingInTeamT1 : IWritePolicy
    {
        public IReadOnlySet<string> FieldsOf(string modelName) => new HashSet<string> { "title" };

        public ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken)
            => ValueTask.FromResult<IReadOnlyCollection<string>>(["team:t1"]);

        public ValueTask AuthorizeUpdateAsync(IMutationContext context, Tether.Mutators.Record existing, JsonObject patch, CancellationToken cancellationToken)
            => ValueTask.CompletedTask;

        public ValueTask AuthorizeDeleteAsync(IMutationContext context, Tether.Mutators.Record existing, CancellationToken cancellationToken)
            => ValueTask.CompletedTask;
    }
}
