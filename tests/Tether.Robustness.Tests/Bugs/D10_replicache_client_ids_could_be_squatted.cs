using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D10: Replicache client ids could be squatted. A push to <c>/sync/push</c> with <c>clientId: "rep:X"</c>
/// made a later Replicache push by the real owner with <c>clientID: "X"</c> get 403.</summary>
public sealed class D10_replicache_client_ids_could_be_squatted
{
    [Fact]
    public async Task A_native_push_cannot_take_a_Replicache_clients_id_so_its_owner_still_pushes()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi mallory = server.Api("mallory");
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage squat = await mallory.PushRawAsync("rep:X", SyncApi.M(1, "createTeam", new { id = "m1", name = "Mallory's" }));
        using HttpResponseMessage owner = await alice.Http.PostAsJsonAsync("/replicache/push", new JsonObject
        {
            ["profileID"] = "p1",
            ["clientGroupID"] = "g1",
            ["pushVersion"] = 1,
            ["schemaVersion"] = "",
            ["mutations"] = new JsonArray(new JsonObject
            {
                ["id"] = 1,
                ["clientID"] = "X",
                ["name"] = "createTeam",
                ["args"] = new JsonObject { ["id"] = "a1", ["name"] = "Alice's" },
                ["timestamp"] = 1.0,
            }),
        }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, squat.StatusCode);
        JsonElement error = await Errors.ReadAsync(squat, "bad_request");
        Assert.Contains("':'", error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Equal("{}", await owner.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_event_stream_cannot_name_a_front_ends_client_either()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi mallory = server.Api("mallory");

        using HttpResponseMessage response = await mallory.Http.GetAsync("/sync/events?clientId=rep:X", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }
}
