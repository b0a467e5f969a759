using System.Net;
using System.Text;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests.Bugs;

/// <summary>A lazy bootstrap whose <c>syncGroups</c> held a null next to a team the caller is not in was served that
/// team's records instead of being refused.</summary>
public sealed class Lazy_bootstrap_with_a_null_group_served_a_foreign_team
{
    [Fact]
    public async Task A_lazy_bootstrap_naming_a_null_group_is_a_bad_request()
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
}
