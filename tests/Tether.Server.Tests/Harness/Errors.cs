using System.Text.Json;

namespace Tether.Server.Tests.Harness;

public static class Errors
{
    /// <summary>Reads the protocol's error shape, checks its code and that it carries nothing of .NET's internals.</summary>
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string code)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonElement error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        return error.Clone();
    }
}
