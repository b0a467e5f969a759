using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The issue tracker on a phone (390 × 844): the sidebar is a drawer, the board's columns stack, nothing is
/// wider than the screen, and a refusal is a banner that names things as people know them.</summary>
public sealed class PhoneLayoutTests
{
    private const int Width = 390;

    [Fact]
    public async Task At_390_pixels_the_sidebar_is_a_drawer_the_board_stacks_and_a_refusal_names_the_user_and_the_team()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            IPage page = session.Page;
            await page.SetViewportSizeAsync(Width, 844);
            await page.GotoAsync(server.BaseAddress.ToString());
            await page.Locator("[data-testid=user-input]").FillAsync("alice");
            await page.Locator("[data-testid=sign-in]").ClickAsync();
            await page.Locator("[data-testid=status]", new() { HasText = "Live" }).WaitForAsync();

            // The drawer is closed: off the screen, and the content has the whole width.
            Assert.True(await page.Locator("[data-testid=menu]").IsVisibleAsync());
            Assert.True(Right(await page.Locator(".sidebar").BoundingBoxAsync()) <= 0, "the closed sidebar is off the screen");

            await page.Locator("[data-testid=new-team-name]").FillAsync("Core");
            await page.Locator("[data-testid=create-team]").ClickAsync();
            await page.Locator("[data-testid=member-input]").FillAsync("bob");
            await page.Locator("[data-testid=add-member]").ClickAsync();
            await page.Locator("[data-testid=remove-member][data-user-id=bob]").WaitForAsync();

            // Adding bob again is refused by the mutator on the page itself: one banner, with names, not ids.
            await page.Locator("[data-testid=member-input]").FillAsync("bob");
            await page.Locator("[data-testid=add-member]").ClickAsync();
            ILocator notice = page.Locator("[data-testid=rejection-notice][data-by-server=false]");
            await notice.WaitForAsync();
            string text = await notice.InnerTextAsync();
            Assert.Contains("bob is already a member of the team \u201cCore\u201d.", text, StringComparison.Ordinal);
            Assert.DoesNotContain(":bob", text, StringComparison.Ordinal);
            await session.ScreenshotAsync("phone-refusal");

            await page.Locator("[data-testid=new-project-name]").FillAsync("Sync");
            await page.Locator("[data-testid=create-project]").ClickAsync();

            // The menu button opens the drawer over the content; choosing a project closes it.
            await page.Locator("[data-testid=menu]").ClickAsync();
            ILocator project = page.Locator("[data-testid=project-link]", new() { HasText = "Sync" });
            await project.WaitForAsync();
            await WaitUntilAsync(page, "document.querySelector('.sidebar').getBoundingClientRect().left >= 0");
            await session.ScreenshotAsync("phone-menu");
            await project.ClickAsync();
            await page.Locator("[data-testid=column-todo]").WaitForAsync();
            await WaitUntilAsync(page, "document.querySelector('.sidebar').getBoundingClientRect().right <= 0");

            // The columns stack, each within the screen, and the page never scrolls sideways.
            LocatorBoundingBoxResult todo = (await page.Locator("[data-testid=column-todo]").BoundingBoxAsync())!;
            LocatorBoundingBoxResult doing = (await page.Locator("[data-testid=column-doing]").BoundingBoxAsync())!;
            LocatorBoundingBoxResult done = (await page.Locator("[data-testid=column-done]").BoundingBoxAsync())!;
            Assert.Equal(todo.X, doing.X, 1);
            Assert.Equal(todo.X, done.X, 1);
            Assert.True(todo.Y < doing.Y && doing.Y < done.Y, "the columns are one under the other");
            Assert.True(Right(todo) <= Width, "a column fits the screen");
            Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= Width, "nothing is wider than the screen");
            await session.ScreenshotAsync("phone-board");
        });
    }

    private static double Right(LocatorBoundingBoxResult? box) => box is null ? 0 : box.X + box.Width;

    /// <summary>Waits for a condition of the page: the drawer slides (a CSS transition) rather than jumps.</summary>
    private static Task WaitUntilAsync(IPage page, string condition) => page.WaitForFunctionAsync(condition);
}
