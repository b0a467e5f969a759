using System.Net;
using System.Text;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D3: <c>/replicache/push</c> with an invalid UTF-8 byte in <c>clientGroupID</c> answered 500, and so did
/// <c>/replicache/pull</c> with <c>"clientGroupID":"\ud800"</c>.</summary>
public sealed class D3_replicache_answered_500_to_ill_formed_client_group_ids
{
    [Fact]
    public async Task A_push_whose_clientGroupID_holds_an_invalid_UTF8_byte_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        // 0xFF never occurs in UTF-8; it stands where the '#' is.
        byte[] body = [.. """{"profileID":"p1","clientGroupID":"g#","mutations":[],"pushVersion":1,"schemaVersion":""}"""u8.ToArray()
            .Select(b => b == (byte)'#' ? (byte)0xFF : b)];

        using HttpResponseMessage response = await alice.Http.PostAsync("/replicache/push", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "bad_request");
        Assert.Contains("UTF-8", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_pull_whose_clientGroupID_is_an_unpaired_surrogate_is_a_bad_request()
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        byte[] body = """{"profileID":"p1","clientGroupID":"\ud800","cookie":null,"pullVersion":1,"schemaVersion":""}"""u8.ToArray();

        using HttpResponseMessage response = await alice.Http.PostAsync("/replicache/pull", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "bad_request");
        Assert.Contains("surrogate", error.GetProperty("message").GetString());
    }
}
