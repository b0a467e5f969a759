using System.Net;
using System.Text;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests.Bugs;

/// <summary>A push whose <c>mutations</c> held a JSON null was answered 500 instead of 400.</summary>
public sealed class A_null_mutation_answered_500_instead_of_400
{
    [Fact]
    public async Task A_push_with_a_null_mutation_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.Http.PostAsync("/sync/push",
            new StringContent("{\"clientId\":\"c1\",\"mutations\":[null]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }
}
