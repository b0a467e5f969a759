using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D7: <c>changes</c> with <c>{"changes":[null]}</c> was refused as <c>internal</c> (a
/// NullReferenceException in ChangesMutator) instead of <c>invalid_args</c>.</summary>
public sealed class D7_changes_with_a_null_change_was_refused_as_internal
{
    [Fact]
    public async Task A_null_change_is_refused_as_invalid_args()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        JsonElement result = (await alice.PushAsync("c1", new JsonObject
        {
            ["id"] = 1,
            ["name"] = "changes",
            ["args"] = JsonNode.Parse("""{"changes":[null]}"""),
        })).GetProperty("results")[0];

        Assert.Equal("rejected", result.GetProperty("status").GetString());
        Assert.Equal("invalid_args", result.GetProperty("error").GetProperty("code").GetString());
    }
}
