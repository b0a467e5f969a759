using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The inspector page (<c>/sync/_inspector</c>) of the issue tracker server, in Chromium: an admin sees the
/// server's figures, who is connected, a user's groups and the log's tail as it grows; anyone else sees the refusal.</summary>
public sealed class InspectorTests
{
    [Fact]
    public async Task An_admin_sees_the_status_the_connected_clients_a_users_groups_and_the_log_tail_live()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken,
            settings: new Dictionary<string, string> { ["admins"] = "root" });
        await session.RunAsync(async () =>
        {
            // Alice uses the app in another browser context: her live connection is what the inspector lists.
            IPage app = await session.NewPageAsync();
            await app.GotoAsync(server.BaseAddress.ToString());
            await app.Locator("[data-testid=user-input]").FillAsync("alice");
            await app.Locator("[data-testid=sign-in]").ClickAsync();
            await app.Locator("[data-testid=status]", new() { HasText = "Live" }).WaitForAsync();

            IPage page = session.Page;
            await page.GotoAsync(new Uri(server.BaseAddress, "sync/_inspector").ToString());
            await page.Locator("[data-testid=inspector-token]").FillAsync("dev:root");
            await page.Locator("[data-testid=inspector-connect]").ClickAsync();
            await page.Locator("[data-testid=inspector-state]", new() { HasText = "Live" }).WaitForAsync();
            await page.Locator("[data-testid=inspector-status] tr[data-field=Head]").WaitForAsync();
            await page.Locator("[data-testid=inspector-clients] tr", new() { HasText = "alice" }).Filter(new() { HasText = "websocket" }).WaitForAsync();

            using (var alice = new ServerHttp(server, "alice"))
            {
                await alice.PushAsync([("createTeam", new { id = "inspected", name = "Inspected" })]);
            }
            await page.Locator("[data-testid=inspector-log] tr", new() { HasText = "inspected" }).First.WaitForAsync();

            await page.Locator("[data-testid=inspector-groups-user]").FillAsync("alice");
            await page.Locator("[data-testid=inspector-groups-show]").ClickAsync();
            await page.Locator("[data-testid=inspector-groups] li", new() { HasText = "team:inspected" }).WaitForAsync();
            await session.ScreenshotAsync("inspector");

            // Anyone who is not an admin gets the server's refusal, and no figures.
            await page.Locator("[data-testid=inspector-token]").FillAsync("dev:alice");
            await page.Locator("[data-testid=inspector-connect]").ClickAsync();
            await page.Locator("[data-testid=inspector-state]", new() { HasText = "not an admin" }).WaitForAsync();
        });
    }
}
