using System.Text.Json;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests.Bugs;

/// <summary>Error bodies carried every optional detail of the error shape, as <c>"expected":null</c> and
/// <c>"supported":null</c>, where the protocol leaves out what does not apply.</summary>
public sealed class Error_bodies_carried_null_details
{
    [Fact]
    public async Task A_refused_mutations_error_leaves_out_the_details_that_do_not_apply()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        JsonElement answer = await alice.PushAsync("c1", M(1, "createIssue", new { id = "i1", projectId = "nope", title = "t" }));

        JsonElement error = answer.GetProperty("results")[0].GetProperty("error");

        Assert.False(error.TryGetProperty("expected", out _));
        Assert.False(error.TryGetProperty("supported", out _));
        Assert.All(error.EnumerateObject(), property => Assert.NotEqual(JsonValueKind.Null, property.Value.ValueKind));
    }
}
