using System.Text.Json;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

public sealed class HarnessTests
{
    [Fact]
    public async Task Browser_reaches_the_real_server_health_endpoint()
    {
        await using BrowserSession browser = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await browser.RunAsync(async () =>
        {
            var response = await browser.Page.GotoAsync(new Uri(server.BaseAddress, "sync/health").ToString());
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            string body = await response.TextAsync();
            using JsonDocument health = JsonDocument.Parse(body);
            Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
            await browser.ScreenshotAsync("health");
        });
    }

    [Fact]
    public async Task Server_stops_and_starts_again_on_the_same_port_and_file()
    {
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        Uri address = server.BaseAddress;
        Assert.True(File.Exists(server.DataPath));
        using (HttpClient alice = Alice(address))
        {
            using HttpResponseMessage pushed = await alice.PostAsync("sync/push", new StringContent(
                """{"clientId":"c1","mutations":[{"id":1,"name":"createTeam","args":{"id":"t1","name":"Before the stop"}}]}""",
                System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);
        }

        await server.StopAsync();
        Assert.False(server.IsRunning);
        using (var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("sync/health", TestContext.Current.CancellationToken));
        }

        await server.StartAsync();
        Assert.True(server.IsRunning);
        // The old address answers again, with what was written before the stop: the same port and the same file.
        using (HttpClient alice = Alice(address))
        {
            JsonElement delta = JsonDocument.Parse(await alice.GetStringAsync("sync/delta?from=0", TestContext.Current.CancellationToken)).RootElement;
            Assert.Contains(delta.GetProperty("sync").EnumerateArray(), action => action.GetProperty("modelId").GetString() == "t1");
            JsonElement health = JsonDocument.Parse(await alice.GetStringAsync("sync/health", TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal("Healthy", health.GetProperty("status").GetString());
        }
    }

    private static HttpClient Alice(Uri address)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "dev:alice");
        http.DefaultRequestHeaders.Add("Tether-Protocol", "1");
        http.DefaultRequestHeaders.Add("Tether-Schema", "1");
        return http;
    }
}
