using System.Text.Json;
using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The issue tracker in Chromium against the real server: collaboration, isolation, offline and rejection.</summary>
public sealed class IssueTrackerAppTests
{
    [Fact]
    public async Task An_issue_created_by_one_member_appears_live_for_another_and_never_for_another_team()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            IPage alice = session.Page;
            IPage bob = await session.NewPageAsync();
            IPage carol = await session.NewPageAsync();
            await SignInAsync(alice, server, "alice");
            string projectId = await CreateTeamWithProjectAsync(alice, "Core", "Sync", member: "bob");
            await SignInAsync(bob, server, "bob");
            await OpenProjectAsync(bob, projectId);
            await SignInAsync(carol, server, "carol");
            await CreateTeamWithProjectAsync(carol, "Elsewhere", "Other", member: null);

            await CreateIssueAsync(alice, "Hello from alice");

            // Bob sees it without a reload; Carol, in another team, never gets it.
            await Card(bob, "Hello from alice").WaitForAsync();
            await Expect(alice, "status", "Live");
            await CreateIssueAsync(carol, "Carol's own");
            await Card(carol, "Carol's own").WaitForAsync();
            Assert.Equal(0, await carol.Locator("[data-testid=issue-card]", new() { HasText = "Hello from alice" }).CountAsync());
            Assert.Equal(0, await carol.Locator("[data-testid=team-link]", new() { HasText = "Core" }).CountAsync());
            await session.ScreenshotAsync("board-alice");
            await ScreenshotAsync(bob, "board-bob");
        });
    }

    [Fact]
    public async Task Edits_made_offline_survive_a_reload_and_reach_the_server_and_the_other_member_once_online()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            // Chromium's offline emulation is what keeps alice's edits from the server, and the app trusts what the page
            // says about it: if this test fails because bob saw an edit early, alice's console shows what her pages saw.
            await session.Page.AddInitScriptAsync("""
                console.log(`network at load of ${location.pathname}: onLine=${navigator.onLine}`);
                addEventListener('online', () => console.log('network event: online'));
                addEventListener('offline', () => console.log('network event: offline'));
                """);
            (IPage alice, IPage bob) = await AliceAndBobOnOneBoardAsync(session, server);
            await CreateIssueAsync(alice, "Written online");
            await Card(bob, "Written online").WaitForAsync();

            // The browser itself goes offline: the page is then served by the service worker, the data by IndexedDB.
            await alice.Context.SetOfflineAsync(true);
            await Expect(alice, "status", "Offline");
            await CreateIssueAsync(alice, "Written offline");
            await Card(alice, "Written offline").Locator("[data-testid=move-issue][data-status=doing]").ClickAsync();
            await Column(alice, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync();
            await RenameAsync(alice, "Written online", "Renamed offline");
            await alice.ReloadAsync();
            // After the reload the unsent edits come back from IndexedDB, still offline.
            await Expect(alice, "status", "Offline");
            await alice.Locator("[data-testid=issue-title-input]").WaitForAsync();
            Assert.Equal("Renamed offline", await alice.Locator("[data-testid=issue-title-input]").InputValueAsync());
            await alice.GoBackAsync();
            await Column(alice, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync();
            await session.ScreenshotAsync("offline-alice");
            Assert.Equal(0, await Card(bob, "Written offline").CountAsync());
            Assert.Equal(1, await Card(bob, "Written online").CountAsync());

            await alice.Context.SetOfflineAsync(false);

            await Column(bob, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Written offline" }).WaitForAsync();
            await Card(bob, "Renamed offline").WaitForAsync();
            await Expect(alice, "status", "Live");
            foreach (IPage page in new[] { alice, bob })
            {
                Assert.Equal(1, await Card(page, "Written offline").CountAsync());
                Assert.Equal(1, await Card(page, "Renamed offline").CountAsync());
                Assert.Equal(0, await Card(page, "Written online").CountAsync());
            }
            using var http = new ServerHttp(server, "bob");
            JsonElement[] issues = [.. (await http.RecordsAsync()).Where(r => r.Key.Model == "issue").Select(r => r.Value)];
            Assert.Equal(["Renamed offline", "Written offline"], issues.Select(i => i.GetProperty("title").GetString()).Order());
            Assert.Equal("doing", issues.Single(i => i.GetProperty("title").GetString() == "Written offline").GetProperty("status").GetString());
            await ScreenshotAsync(bob, "after-sync-bob");
        });
    }

    [Fact]
    public async Task The_first_load_of_a_large_team_shows_its_progress_and_ends_on_the_full_board()
    {
        const int issueCount = 3_000;
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            using (var alice = new ServerHttp(server, "alice"))
            {
                await alice.PushAsync([
                    ("createTeam", new { id = "big", name = "Big team" }),
                    ("addMember", new { teamId = "big", userId = "bob" }),
                    ("createProject", new { id = "backlog", teamId = "big", name = "Backlog" })]);
                for (int first = 0; first < issueCount; first += 1_000)
                {
                    await alice.PushAsync(Enumerable.Range(first, 1_000).Select(i =>
                        ("createIssue", (object)new { id = $"big-{i:D5}", projectId = "backlog", title = $"Imported issue {i}" })));
                }
            }
            // Every state the banner is rendered in is recorded, however briefly it shows.
            await session.Page.AddInitScriptAsync("""
                window.__bootstrapBanner = [];
                new MutationObserver(() => {
                    const banner = document.querySelector('[data-testid=bootstrap-progress]');
                    if (banner) { window.__bootstrapBanner.push(banner.textContent); }
                }).observe(document, { subtree: true, childList: true, characterData: true });
                """);

            await SignInAsync(session.Page, server, "bob");

            string[] shown = await session.Page.EvaluateAsync<string[]>("() => window.__bootstrapBanner");
            long[] counts = [.. shown.Select(text => System.Text.RegularExpressions.Regex.Match(text, @"([\d,]+) records")).Where(m => m.Success)
                .Select(m => long.Parse(m.Groups[1].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture))];
            Assert.True(counts.Length > 0, "the banner showed a record count while downloading; it showed: " + string.Join(" | ", shown));
            // Bob reads the team, the project, two memberships and the issues.
            Assert.All(counts, count => Assert.InRange(count, 1, issueCount + 4));
            Assert.Equal(counts.Order(), counts);
            await OpenProjectAsync(session.Page, "backlog");
            await Card(session.Page, $"Imported issue {issueCount - 1}").WaitForAsync();
            Assert.Equal(issueCount, await session.Page.Locator("[data-testid=issue-card]").CountAsync());
            await session.ScreenshotAsync("large-board");
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
            await Card(bob, "Doomed").WaitForAsync();

            // Bob moves the issue while offline; meanwhile Alice deletes it, so the server refuses Bob's move.
            await bob.Context.SetOfflineAsync(true);
            await Expect(bob, "status", "Offline");
            await Card(bob, "Doomed").Locator("[data-testid=move-issue][data-status=doing]").ClickAsync();
            await Column(bob, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Doomed" }).WaitForAsync();
            await Card(alice, "Doomed").Locator("a").ClickAsync();
            await alice.Locator("[data-testid=delete-issue]").ClickAsync();
            await alice.Locator("[data-testid=issue-card]", new() { HasText = "Doomed" }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await bob.Context.SetOfflineAsync(false);

            await bob.Locator("[data-testid=rejection-notice]").WaitForAsync();
            await Card(bob, "Doomed").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await ScreenshotAsync(bob, "rejected-bob");
        });
    }

    [Fact]
    public async Task An_edit_made_offline_by_a_member_removed_meanwhile_is_refused_and_rolled_back_with_a_notice()
    {
        await using BrowserSession session = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await session.RunAsync(async () =>
        {
            (IPage alice, IPage bob) = await AliceAndBobOnOneBoardAsync(session, server);
            await CreateIssueAsync(alice, "Shared");
            await Card(bob, "Shared").WaitForAsync();

            await bob.Context.SetOfflineAsync(true);
            await Expect(bob, "status", "Offline");
            await Card(bob, "Shared").Locator("[data-testid=move-issue][data-status=doing]").ClickAsync();
            await Column(bob, "doing").Locator("[data-testid=issue-card]", new() { HasText = "Shared" }).WaitForAsync();
            await alice.Locator("[data-testid=team-link]", new() { HasText = "Core" }).ClickAsync();
            await alice.Locator("[data-testid=remove-member][data-user-id=bob]").ClickAsync();
            await alice.Locator("[data-testid=remove-member][data-user-id=bob]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await Expect(alice, "status", "Live");
            await bob.Context.SetOfflineAsync(false);

            await Expect(bob, "rejection-notice", "forbidden");
            await Card(bob, "Shared").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            Assert.Equal(0, await bob.Locator("[data-testid=team-link]", new() { HasText = "Core" }).CountAsync());
            await ScreenshotAsync(bob, "removed-bob");
            using var http = new ServerHttp(server, "alice");
            JsonElement shared = (await http.RecordsAsync()).Single(r => r.Key.Model == "issue").Value;
            Assert.Equal("todo", shared.GetProperty("status").GetString());
        });
    }

    /// <summary>Alice creates team Core with Bob in it and project Sync; both end on its board.</summary>
    private static async Task<(IPage Alice, IPage Bob)> AliceAndBobOnOneBoardAsync(BrowserSession session, BrowserServer server)
    {
        IPage alice = session.Page;
        IPage bob = await session.NewPageAsync();
        await SignInAsync(alice, server, "alice");
        string projectId = await CreateTeamWithProjectAsync(alice, "Core", "Sync", member: "bob");
        await SignInAsync(bob, server, "bob");
        await OpenProjectAsync(bob, projectId);
        return (alice, bob);
    }

    private static async Task SignInAsync(IPage page, BrowserServer server, string user)
    {
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.Locator("[data-testid=user-input]").FillAsync(user);
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
            await page.Locator("[data-testid=member-input]").FillAsync(member);
            await page.Locator("[data-testid=add-member]").ClickAsync();
            await page.Locator($"[data-testid=remove-member][data-user-id={member}]").WaitForAsync();
        }
        await page.Locator("[data-testid=new-project-name]").FillAsync(project);
        await page.Locator("[data-testid=create-project]").ClickAsync();
        ILocator link = page.Locator("[data-testid=project-link]", new() { HasText = project });
        await link.ClickAsync();
        await page.Locator("[data-testid=column-todo]").WaitForAsync();
        return (await link.GetAttributeAsync("data-project-id"))!;
    }

    private static async Task OpenProjectAsync(IPage page, string projectId)
    {
        await page.Locator($"[data-testid=project-link][data-project-id='{projectId}']").ClickAsync();
        await page.Locator("[data-testid=column-todo]").WaitForAsync();
    }

    private static async Task CreateIssueAsync(IPage page, string title)
    {
        await page.Locator("[data-testid=new-issue-title]").FillAsync(title);
        await page.Locator("[data-testid=create-issue]").ClickAsync();
        await Card(page, title).WaitForAsync();
    }

    /// <summary>Opens the issue, renames it, saves, and stays on its page.</summary>
    private static async Task RenameAsync(IPage page, string title, string newTitle)
    {
        await Card(page, title).Locator("a").ClickAsync();
        ILocator input = page.Locator("[data-testid=issue-title-input]");
        await input.FillAsync(newTitle);
        await page.Locator("[data-testid=save-issue]").ClickAsync();
        await page.Locator("[data-testid=save-issue]").And(page.Locator("[disabled]")).WaitForAsync();
    }

    private static ILocator Card(IPage page, string title) => page.Locator("[data-testid=issue-card]", new() { HasText = title });

    private static ILocator Column(IPage page, string status) => page.Locator($"[data-testid=column-{status}]");

    private static async Task Expect(IPage page, string testId, string text)
        => await page.Locator($"[data-testid={testId}]", new() { HasText = text }).WaitForAsync();

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }
}
