using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tether.LiveStore.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace IssueTracker.Tests;

/// <summary>The issue tracker's LiveStore rules (<c>LiveStoreAccess</c>): a store named <c>user-&lt;id&gt;</c> or
/// <c>user-&lt;id&gt;-…</c> is that user's alone, any other store is every signed-in user's, and only the users named
/// by <c>--admins</c> may administer stores.</summary>
public sealed class LiveStoreAccessTests
{
    [Theory]
    [InlineData("alice", "user-alice", true)]
    [InlineData("alice", "user-alice-notes", true)]
    [InlineData("bob", "user-alice", false)]
    [InlineData("bob", "user-alice-notes", false)]
    [InlineData("alice", "user-alicex", false)]
    [InlineData("bob", "team-store", true)]
    public async Task A_user_store_is_its_owners_alone_and_any_other_store_is_shared(string user, string storeId, bool allowed)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using WireClient client = await WireClient.ConnectAsync(server, storeId, "dev:" + user);

        JsonElement answer = await client.ExpectAsync(await client.PushAsync(storeId, WireClient.Events(1, 1, clientId: user)));

        if (allowed)
        {
            answer.AssertSuccess();
        }
        else
        {
            Assert.Contains($"may not use store '{storeId}'", answer.Failure().GetProperty("cause").GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Only_the_users_named_by_admins_may_list_the_stores()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Configuration = new Dictionary<string, string?> { ["admins"] = "root, ops" },
        });

        Assert.Equal(HttpStatusCode.OK, await ListStoresAsync(server, "root"));
        Assert.Equal(HttpStatusCode.OK, await ListStoresAsync(server, "ops"));
        Assert.Equal(HttpStatusCode.Forbidden, await ListStoresAsync(server, "alice"));
    }

    [Fact]
    public async Task Without_admins_nobody_may_list_the_stores()
    {
        await using TestServer server = await TestServer.StartAsync();

        Assert.Equal(HttpStatusCode.Forbidden, await ListStoresAsync(server, "root"));
    }

    private static async Task<HttpStatusCode> ListStoresAsync(TestServer server, string user)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + user);
        using HttpResponseMessage response = await http.GetAsync("/livestore/admin/stores");
        return response.StatusCode;
    }
}
