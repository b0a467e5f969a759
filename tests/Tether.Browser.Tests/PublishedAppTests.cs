using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The issue tracker as shipped (<c>dotnet publish -c Release</c>): compressed, cacheable static files, and a
/// trimmed app that still syncs and still opens offline. It runs in Production, as shipped: development tokens are
/// refused there, so it signs in with a JWT signed by the key the server is given (README, "To ship it").</summary>
public sealed class PublishedAppTests
{
    private const string JwtKey = "the-published-test-signing-key-of-32-bytes+";

    [Fact]
    public async Task The_published_server_serves_the_trimmed_app_compressed_and_it_syncs_and_opens_offline()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        string dll = await PublishedServer.DllAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken, dll, "Production",
            new Dictionary<string, string> { ["Tether__Jwt__Key"] = JwtKey });
        await session.RunAsync(async () =>
        {
            // Framework files are fingerprinted, so they are cached for good, and sent Brotli-compressed.
            string framework = Path.Combine(Path.GetDirectoryName(dll)!, "wwwroot", "_framework");
            string coreLib = Path.GetFileName(Directory.GetFiles(framework, "System.Private.CoreLib.*.wasm").Single());
            using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = server.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "_framework/" + coreLib);
            request.Headers.AcceptEncoding.ParseAdd("br, gzip");
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(["br"], response.Content.Headers.ContentEncoding);
            Assert.Contains("immutable", response.Headers.CacheControl?.ToString());
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length < new FileInfo(Path.Combine(framework, coreLib)).Length);

            // The icon a browser asks for on its own, and the one the page names.
            foreach (string icon in new[] { "favicon.ico", "favicon.svg" })
            {
                using HttpResponseMessage answer = await http.GetAsync(icon);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                Assert.StartsWith("image/", answer.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            }

            // The trimmed app signs in, writes and goes live; then it opens again with the browser offline.
            IPage page = session.Page;
            await page.GotoAsync(server.BaseAddress.ToString());
            await page.Locator("[data-testid=user-input]").FillAsync(Jwt("alice"));
            await page.Locator("[data-testid=sign-in]").ClickAsync();
            await page.Locator("[data-testid=new-team-name]").FillAsync("Shipped");
            await page.Locator("[data-testid=create-team]").ClickAsync();
            await page.Locator("[data-testid=status]", new() { HasText = "Live" }).WaitForAsync();
            await page.Locator("[data-testid=status]", new() { HasText = "pending" }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await page.EvaluateAsync("async () => { await navigator.serviceWorker.ready; }");

            await session.Context.SetOfflineAsync(true);
            var syncRequests = new List<string>();
            page.Request += (_, request) =>
            {
                if (new Uri(request.Url).AbsolutePath.StartsWith("/sync/", StringComparison.Ordinal))
                {
                    lock (syncRequests)
                    {
                        syncRequests.Add(request.Url);
                    }
                }
            };
            await page.ReloadAsync();

            await page.Locator("[data-testid=status]", new() { HasText = "Offline" }).WaitForAsync();
            await page.Locator("[data-testid=team-link]", new() { HasText = "Shipped" }).WaitForAsync();
            // Opened offline, the app asks the browser first and tries no connection at all.
            lock (syncRequests)
            {
                Assert.Empty(syncRequests);
            }
            await session.ScreenshotAsync("published-offline");
        });
    }

    /// <summary>An HS256 JWT for <paramref name="userId"/>, as a sign-in service would issue it.</summary>
    private static string Jwt(string userId)
    {
        long expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        string unsigned = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8) + "." +
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"sub":"{{userId}}","exp":{{expires}}}"""));
        byte[] signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(JwtKey), Encoding.UTF8.GetBytes(unsigned));
        return unsigned + "." + Base64Url.EncodeToString(signature);
    }
}
