using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

public sealed class RefusalTests
{
    [Fact]
    public async Task A_retried_refused_id_is_refused_again_until_the_client_pushes_past_it()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        var refused = M(1, "createIssue", new { id = "i1", projectId = "missing", title = "x" });

        JsonElement first = await alice.PushAsync("c1", refused);
        JsonElement retried = await alice.PushAsync("c1", (System.Text.Json.Nodes.JsonObject)refused.DeepClone());

        Assert.Equal("rejected", first.GetProperty("results")[0].GetProperty("status").GetString());
        JsonElement again = retried.GetProperty("results")[0];
        Assert.Equal("rejected", again.GetProperty("status").GetString());
        Assert.Equal("not_found", again.GetProperty("error").GetProperty("code").GetString());

        // A push that starts after it shows the client has the answer: the refusal is no longer kept.
        await alice.PushAsync("c1", M(2, "createTeam", new { id = "t1", name = "T" }));
        JsonElement late = (await alice.PushAsync("c1", (System.Text.Json.Nodes.JsonObject)refused.DeepClone())).GetProperty("results")[0];
        Assert.Equal("duplicate", late.GetProperty("status").GetString());
    }
}
