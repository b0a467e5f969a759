using System.Net;
using System.Text;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D2: <c>POST /livestore?…&amp;transport=http</c> answered 500 with a stack trace and the request's headers,
/// the Authorization header the server had put in from the payload's token among them.</summary>
public sealed class D2_livestore_http_answered_500_with_a_stack_trace
{
    private const string Token = "dev:alice";

    [Fact]
    public async Task A_request_id_holding_an_unpaired_surrogate_is_a_bad_request_without_trace_or_headers()
    {
        await using TestServer server = await TestServer.StartAsync();

        using HttpResponseMessage response = await PostAsync(server, """{"_tag":"Request","id":"\ud800","tag":"SyncHttpRpc.Ping","payload":{}}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "bad_request");
        Assert.Contains("surrogate", error.GetProperty("message").GetString());
        await AssertNothingEchoedAsync(response);
    }

    [Fact]
    public async Task A_cursor_whose_tag_is_a_number_gets_the_protocols_InvalidPull_error()
    {
        await using TestServer server = await TestServer.StartAsync();

        using HttpResponseMessage response = await PostAsync(server,
            """{"_tag":"Request","id":"1","tag":"SyncHttpRpc.Pull","payload":{"storeId":"s","live":false,"cursor":{"_tag":5}}}"""u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement exit = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        Assert.Equal("Failure", exit.GetProperty("exit").GetProperty("_tag").GetString());
        JsonElement cause = exit.GetProperty("exit").GetProperty("cause").GetProperty("error").GetProperty("cause");
        Assert.Equal("InvalidPull", cause.GetProperty("name").GetString());
        await AssertNothingEchoedAsync(response);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("tag")]
    [InlineData("storeId")]
    public async Task Invalid_UTF8_in_any_string_is_a_bad_request_without_trace_or_headers(string where)
    {
        await using TestServer server = await TestServer.StartAsync();
        string json = """{"_tag":"Request","id":"1","tag":"SyncHttpRpc.Pull","payload":{"storeId":"s","live":false}}""";
        string marked = where switch
        {
            "id" => json.Replace("\"id\":\"1\"", "\"id\":\"1#\"", StringComparison.Ordinal),
            "tag" => json.Replace("SyncHttpRpc.Pull", "SyncHttpRpc.Pull#", StringComparison.Ordinal),
            _ => json.Replace("\"storeId\":\"s\"", "\"storeId\":\"s#\"", StringComparison.Ordinal),
        };
        // 0xFF never occurs in UTF-8.
        byte[] body = [.. Encoding.UTF8.GetBytes(marked).Select(b => b == (byte)'#' ? (byte)0xFF : b)];

        using HttpResponseMessage response = await PostAsync(server, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement error = await Errors.ReadAsync(response, "bad_request");
        Assert.Contains("UTF-8", error.GetProperty("message").GetString());
        await AssertNothingEchoedAsync(response);
    }

    [Fact]
    public async Task A_payload_whose_token_holds_an_unpaired_surrogate_is_refused_in_the_protocols_shape()
    {
        await using TestServer server = await TestServer.StartAsync();
        string payload = Uri.EscapeDataString(Uri.EscapeDataString("""{"authToken":"dev:\ud800"}"""));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using HttpResponseMessage response = await http.PostAsync($"/livestore?storeId=s&transport=http&payload={payload}",
            new ByteArrayContent("""{"_tag":"Request","id":"1","tag":"SyncHttpRpc.Ping","payload":{}}"""u8.ToArray()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement exit = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray());
        JsonElement cause = exit.GetProperty("exit").GetProperty("cause").GetProperty("error").GetProperty("cause");
        Assert.Equal("Forbidden", cause.GetProperty("name").GetString());
        Assert.Contains("payload", cause.GetProperty("message").GetString());
    }

    private static async Task<HttpResponseMessage> PostAsync(TestServer server, byte[] body)
    {
        string payload = Uri.EscapeDataString(Uri.EscapeDataString(JsonSerializer.Serialize(new { authToken = Token })));
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        return await http.PostAsync($"/livestore?storeId=s&transport=http&payload={payload}", new ByteArrayContent(body));
    }

    /// <summary>The token reached the server only in the payload; the server put it into a header to authenticate it,
    /// which the error page of the defect then listed.</summary>
    private static async Task AssertNothingEchoedAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Bearer", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Authorization", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }
}
