using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore.Tests.Harness;
using Tether.Server.Tests.Harness;

namespace Tether.LiveStore.Tests;

/// <summary>The admin operations over HTTP (<c>MapLiveStoreAdmin</c>, mounted at <c>/livestore/admin</c>): only users
/// that <c>LiveStoreOptions.AuthorizeAdmin</c> admits may list and reset stores.</summary>
public sealed class AdminEndpointTests
{
    private static TestServerSettings AdminIsRoot() => new()
    {
        Builder = builder => builder.Services.Configure<LiveStoreOptions>(o =>
        {
            o.FirstRequestTimeout = TimeSpan.FromMinutes(1);
            o.AuthorizeAdmin = context => ValueTask.FromResult(context.UserId == "root");
        }),
    };

    [Fact]
    public async Task An_admin_lists_the_stores_and_resets_one_which_gets_a_new_backendId_and_no_events()
    {
        await using TestServer server = await TestServer.StartAsync(AdminIsRoot());
        await using (WireClient client = await WireClient.ConnectAsync(server, "team/one"))
        {
            (await client.ExpectAsync(await client.PushAsync("team/one", WireClient.Events(1, 3)))).AssertSuccess();
        }
        using HttpClient root = Http(server, "root");

        JsonElement listed = await ReadOkAsync(await root.GetAsync("/livestore/admin/stores", Ct));
        JsonElement before = Assert.Single(listed.GetProperty("stores").EnumerateArray());
        Assert.Equal("team/one", before.GetProperty("storeId").GetString());
        Assert.Equal(3, before.GetProperty("head").GetInt64());

        JsonElement reset = (await ReadOkAsync(await root.PostAsync("/livestore/admin/reset?storeId=team%2Fone", null, Ct))).GetProperty("store");
        Assert.Equal("team/one", reset.GetProperty("storeId").GetString());
        Assert.Equal(0, reset.GetProperty("head").GetInt64());
        Assert.NotEqual(before.GetProperty("backendId").GetString(), reset.GetProperty("backendId").GetString());

        LiveStoreInfo stored = Assert.Single(await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync(Ct));
        Assert.Equal(new LiveStoreInfo("team/one", reset.GetProperty("backendId").GetString()!, 0), stored);
    }

    [Fact]
    public async Task Anyone_else_is_refused_with_the_protocol_error_shape_and_nothing_is_reset()
    {
        await using TestServer server = await TestServer.StartAsync(AdminIsRoot());
        await using (WireClient client = await WireClient.ConnectAsync(server, "kept"))
        {
            (await client.ExpectAsync(await client.PushAsync("kept", WireClient.Events(1, 2)))).AssertSuccess();
        }
        using HttpClient alice = Http(server, "alice");
        using HttpClient nobody = Http(server, token: null);

        using (HttpResponseMessage response = await alice.PostAsync("/livestore/admin/reset?storeId=kept", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            await Errors.ReadAsync(response, "forbidden");
        }
        using (HttpResponseMessage response = await alice.GetAsync("/livestore/admin/stores", Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            await Errors.ReadAsync(response, "forbidden");
        }
        using (HttpResponseMessage response = await nobody.PostAsync("/livestore/admin/reset?storeId=kept", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await Errors.ReadAsync(response, "unauthorized");
        }
        using (HttpResponseMessage response = await Http(server, "root").PostAsync("/livestore/admin/reset", null, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            await Errors.ReadAsync(response, "bad_request");
        }

        Assert.Equal(2, Assert.Single(await server.Services.GetRequiredService<LiveStoreAdmin>().ListStoresAsync(Ct)).Head);
    }

    [Fact]
    public async Task Without_AuthorizeAdmin_the_endpoints_refuse_every_user()
    {
        await using TestServer server = await TestServer.StartAsync();
        using HttpClient alice = Http(server, "alice");

        using HttpResponseMessage response = await alice.GetAsync("/livestore/admin/stores", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Errors.ReadAsync(response, "forbidden");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpClient Http(TestServer server, string? token)
    {
        var http = new HttpClient { BaseAddress = server.BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + token);
        }
        return http;
    }

    private static async Task<JsonElement> ReadOkAsync(HttpResponseMessage response)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}
