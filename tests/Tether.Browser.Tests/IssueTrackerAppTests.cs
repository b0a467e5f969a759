using System.Text.Json;
using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The issue tracker in Chromium against the real server: collaboration, isolation, offline and rejection.</summary>
public sealed class IssueTrackerAppTests
{
    private const float Wait = 30_000;

    [Fact]
    public async Task An_issue_created_by_one_member_appears_live_for_another_and_never_for_another_team()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            IPage alice = session.Page;
            IPage bob = await NewPageAsync(session);
            IPage carol = await NewPageAsync(session);
            await SignInAsync(alice, server, "alice");
            string projectId = await CreateTeamWithProjectAsync(alice, "Core", "Sync", member: "bob");
            await SignInAsync(bob, server, "bob");
            await OpenProjectAsync(bob, projectId);
            await SignInAsync(carol, server, "carol");
            await CreateTeamWithProjectAsync(carol, "Elsewhere", "Other", member: null);

            await CreateIssueAsync(alice, "Hello from alice");

            // Bob sees it without a reload; Carol, in another team, never gets it.
            await Card(bob, "Hello from alice").WaitForAsync(new() { Timeout = Wait });
            await Expect(alice, "status", "Live");
            await CreateIssueAsync(carol, "Carol's own");
            await Card(carol, "Carol's own").WaitForAsync(new() { Timeout = Wait });
            Assert.Equal(0, await carol.Locator("[data-testid=issue-card]", new() { HasText = "Hello from alice" }).CountAsync());
            Assert.Equal(0, await carol.Locator("[data-testid=team-link]", new() { HasText = "Core" }).CountAsync());
            await session.ScreenshotAsync("board-alice");
            await ScreenshotAsync(bob, "board-bob");
        });
    }

    [Fact]
    public async Task Edits_made_offline_survive_a_reload_and_reach_the_other_member_once_online()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            (IPage alice, IPage bob) = await AliceAndBobOnOneBoardAsync(session, server);

            // Offline for the sync endpoints (the app shell still loads, as from a cache): new connections fail.
            await GoOfflineAsync(alice);
            await alice.ReloadAsync();
            await CreateIssueAsync(alice, "Written offline");
            await Card(alice, "Written offline").Locator("[data-testid=move-issue][data-status=doing]").ClickAsync();
            await Column(alice, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync(new() { Timeout = Wait });
            await alice.ReloadAsync();
            // After the reload the unsent edits come back from IndexedDB.
            await Column(alice, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync(new() { Timeout = Wait });
            Assert.Equal(0, await Card(bob, "Written offline").CountAsync());
            await session.ScreenshotAsync("offline-alice");

            await alice.Context.UnrouteAllAsync();
            await Column(bob, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync(new() { Timeout = Wait });
            await Expect(alice, "status", "Live");
            Assert.Equal(1, await Card(bob, "Written offline").CountAsync());
            Assert.Equal(1, await Card(alice, "Written offline").CountAsync());
            await ScreenshotAsync(bob, "after-sync-bob");
        });
    }

    [Fact]
    public async Task A_change_the_server_refuses_is_rolled_back_on_screen_with_a_notice()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            (IPage alice, IPage bob) = await AliceAndBobOnOneBoardAsync(session, server);
            await CreateIssueAsync(alice, "Doomed");
            await Card(bob, "Doomed").WaitForAsync(new() { Timeout = Wait });

            // Bob moves the issue while offline; meanwhile Alice deletes it, so the server refuses Bob's move.
            await GoOfflineAsync(bob);
            await bob.ReloadAsync();
            await Card(bob, "Doomed").Locator("[data-testid=move-issue][data-status=doing]").ClickAsync();
            await Column(bob, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Doomed" }).WaitForAsync(new() { Timeout = Wait });
            await Card(alice, "Doomed").Locator("a").ClickAsync();
            await alice.Locator("[data-testid=delete-issue]").ClickAsync();
            await alice.Locator("[data-testid=issue-card]", new() { HasText = "Doomed" }).WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Wait });
            await bob.Context.UnrouteAllAsync();

            await bob.Locator("[data-testid=rejection-notice]").WaitForAsync(new() { Timeout = Wait });
            await Card(bob, "Doomed").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Wait });
            await ScreenshotAsync(bob, "rejected-bob");
        });
    }

    /// <summary>Alice creates team Core with Bob in it and project Sync; both end on its board.</summary>
    private static async Task<(IPage Alice, IPage Bob)> AliceAndBobOnOneBoardAsync(BrowserSession session, BrowserServer server)
    {
        IPage alice = session.Page;
        IPage bob = await NewPageAsync(session);
        await SignInAsync(alice, server, "alice");
        string projectId = await CreateTeamWithProjectAsync(alice, "Core", "Sync", member: "bob");
        await SignInAsync(bob, server, "bob");
        await OpenProjectAsync(bob, projectId);
        return (alice, bob);
    }

    private static async Task<IPage> NewPageAsync(BrowserSession session)
        => await (await session.Browser.NewContextAsync()).NewPageAsync();

    private static async Task SignInAsync(IPage page, BrowserServer server, string user)
    {
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.Locator("[data-testid=user-input]").FillAsync(user, new() { Timeout = Wait });
        await page.Locator("[data-testid=sign-in]").ClickAsync();
        await Expect(page, "status", "Live");
    }

    /// <summary>Creates a team (optionally with a second member) and a project, opens its board, returns its id.</summary>
    private static async Task<string> CreateTeamWithProjectAsync(IPage page, string team, string project, string? member)
    {
        await page.Locator("[data-testid=new-team-name]").FillAsync(team);
        await page.Locator("[data-testid=create-team]").ClickAsync();
        if (member is not null)
        {
            await page.Locator("[data-testid=member-input]").FillAsync(member, new() { Timeout = Wait });
            await page.Locator("[data-testid=add-member]").ClickAsync();
            await page.Locator($"[data-testid=remove-member][data-user-id={member}]").WaitForAsync(new() { Timeout = Wait });
        }
        await page.Locator("[data-testid=new-project-name]").FillAsync(project, new() { Timeout = Wait });
        await page.Locator("[data-testid=create-project]").ClickAsync();
        ILocator link = page.Locator("[data-testid=project-link]", new() { HasText = project });
        await link.ClickAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=column-todo]").WaitForAsync(new() { Timeout = Wait });
        return (await link.GetAttributeAsync("data-project-id"))!;
    }

    private static async Task OpenProjectAsync(IPage page, string projectId)
    {
        await page.Locator($"[data-testid=project-link][data-project-id='{projectId}']").ClickAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=column-todo]").WaitForAsync(new() { Timeout = Wait });
    }

    private static async Task CreateIssueAsync(IPage page, string title)
    {
        await page.Locator("[data-testid=new-issue-title]").FillAsync(title);
        await page.Locator("[data-testid=create-issue]").ClickAsync();
        // Optimistic: the card is there at once, before any server answer.
        await Card(page, title).WaitForAsync(new() { Timeout = 5_000 });
    }

    /// <summary>Blocks the sync endpoints (HTTP and WebSocket) of this page's context; the app itself still loads.</summary>
    private static async Task GoOfflineAsync(IPage page)
    {
        await page.Context.RouteAsync("**/sync/**", route => route.AbortAsync("internetdisconnected"));
        await page.Context.RouteWebSocketAsync("**/sync/live**", ws => ws.CloseAsync());
    }

    private static ILocator Card(IPage page, string title) => page.Locator("[data-testid=issue-card]", new() { HasText = title });

    private static ILocator Column(IPage page, string status) => page.Locator($"[data-testid=column-{status}]");

    private static async Task Expect(IPage page, string testId, string text)
        => await page.Locator($"[data-testid={testId}]", new() { HasText = text }).WaitForAsync(new() { Timeout = Wait });

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }
}
