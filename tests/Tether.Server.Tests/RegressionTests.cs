using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>Bugs found in review of the server core, each pinned by the test named after it.</summary>
public sealed class RegressionTests
{
    [Fact]
    public async Task Bug_lazy_bootstrap_with_a_null_group_served_a_foreign_team()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using SyncApi bob = server.Api("bob");
        await new Seed(alice, "a").TeamWithProjectAsync("t1", "p1");

        using HttpResponseMessage response = await bob.Http.PostAsync("/sync/bootstrap",
            new StringContent("{\"type\":\"lazy\",\"syncGroups\":[null,\"team:t1\"]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }

    [Fact]
    public async Task Bug_a_null_mutation_answered_500_instead_of_400()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.Http.PostAsync("/sync/push",
            new StringContent("{\"clientId\":\"c1\",\"mutations\":[null]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }

    [Fact]
    public async Task Bug_error_bodies_carried_null_details()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        JsonElement answer = await alice.PushAsync("c1", M(1, "createIssue", new { id = "i1", projectId = "nope", title = "t" }));

        JsonElement error = answer.GetProperty("results")[0].GetProperty("error");

        Assert.False(error.TryGetProperty("expected", out _));
        Assert.False(error.TryGetProperty("supported", out _));
    }

    [Fact]
    public async Task Bug_a_record_given_the_same_group_twice_failed_the_whole_batch_with_503()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Builder = b => b.AddMutators([new TwiceGroupedMutator()]) });
        using SyncApi alice = server.Api("alice");

        JsonElement answer = await alice.PushAsync("c1", M(1, TwiceGroupedMutator.MutatorName, new { }));

        Assert.Equal("applied", answer.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Single(await alice.AllActionsAsync(), a => a.GetProperty("modelId").GetString() == "note-1");
    }

    [Fact]
    public async Task Bug_a_stopping_server_aborted_live_sockets_instead_of_closing_them_with_1001()
    {
        TestServer server = await TestServer.StartAsync();
        await using LiveClient live = await LiveClient.ConnectAsync(server, "alice");
        await live.ExpectAsync("handshake");

        Task stopping = server.DisposeAsync().AsTask();
        JsonElement? frame;
        do
        {
            frame = await live.ReceiveAsync(TimeSpan.FromSeconds(10));
        }
        while (frame is not null);
        await stopping;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, live.Socket.CloseStatus);
    }

    [Fact]
    public async Task Bug_the_SSE_handshake_before_a_catch_up_carried_an_event_id_past_the_catch_up()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        await new Seed(alice, "a").TeamWithProjectAsync("t1", "p1");
        long head = (await alice.DeltaAsync(0)).GetProperty("lastSyncId").GetInt64();

        await using SseClient events = await SseClient.ConnectAsync(alice, "?from=1");
        (long id, JsonElement handshake) = await events.ReceiveAsync();

        Assert.Equal("handshake", handshake.GetProperty("type").GetString());
        Assert.True(head > 1);
        Assert.Equal(1, id);
    }

    /// <summary>Inserts a record whose group list names one group twice.</summary>
    private sealed class TwiceGroupedMutator : IMutator
    {
        public const string MutatorName = "twiceGrouped";

        public string Name => MutatorName;

        public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
            => context.InsertAsync("note", "note-1", new JsonObject { ["text"] = "x" }, ["user:" + context.UserId, "user:" + context.UserId], cancellationToken);
    }
}
