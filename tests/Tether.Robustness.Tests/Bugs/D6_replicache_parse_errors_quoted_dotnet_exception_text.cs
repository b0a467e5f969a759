using System.Net;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D6: Replicache parse errors quoted System.Text.Json's exception text: body <c>{</c> was answered
/// <c>"The body is not JSON: Expected depth to be zero … LineNumber: 0 | BytePositionInLine: 1."</c>.</summary>
public sealed class D6_replicache_parse_errors_quoted_dotnet_exception_text
{
    [Theory]
    [InlineData("/replicache/push")]
    [InlineData("/replicache/pull")]
    public async Task A_body_of_one_brace_is_answered_in_a_sentence_of_Tethers_own(string path)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");

        using HttpResponseMessage response = await alice.Http.PostAsync(path, new ByteArrayContent("{"u8.ToArray()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string message = (await Errors.ReadAsync(response, "bad_request")).GetProperty("message").GetString()!;
        Assert.Contains("not JSON", message);
        Assert.DoesNotContain("depth to be zero", message);
        Assert.DoesNotContain("LineNumber", message);
        Assert.DoesNotContain("BytePositionInLine", message);
    }
}
