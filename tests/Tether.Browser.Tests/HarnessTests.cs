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

        await server.StopAsync();
        Assert.False(server.IsRunning);
        using (var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("sync/health", TestContext.Current.CancellationToken));
        }

        await server.StartAsync();
        Assert.True(server.IsRunning);
        Assert.Equal(address, server.BaseAddress);
        JsonElement health = await server.GetJsonAsync("/sync/health");
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
    }
}
