using Microsoft.Playwright;

namespace Tether.Browser.Tests.Harness;

/// <summary>
/// Launches the machine's Chromium (<c>/usr/bin/chromium</c>, installed by <c>.ci/run</c> with apt) through
/// Playwright; Playwright's own browser download is never used. Without Chromium a test is skipped, or fails when
/// <c>TETHER_REQUIRE_ALL=1</c> (CI) so nothing passes by skipping there.
/// </summary>
public static class Browsers
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        // Each test user is a context of one browser, and only one page can be in front: Chromium slows the timers of
        // the others to once a second, which Blazor WebAssembly's task scheduling runs on, so a background user's sync
        // crawls. A person acts in the tab in front of them; the tests make every page behave like that one.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ];

    /// <summary>A headless Chromium with one context and one page.</summary>
    public static async Task<BrowserSession> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            string message = $"Chromium is not installed at {ChromiumPath} (apt-get install chromium; .ci/run installs it).";
            if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
            {
                Assert.Fail(message + " TETHER_REQUIRE_ALL=1, so the browser tests may not be skipped.");
            }

            Assert.Skip(message + " Skipping the browser test.");
        }

        IPlaywright playwright = await Playwright.CreateAsync();
        try
        {
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
            IBrowserContext context = await browser.NewContextAsync();
            IPage page = await context.NewPageAsync();
            return new BrowserSession(playwright, browser, context, page);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

/// <summary>One browser, context and page; screenshots go to the test's attachments and TestResults/screenshots.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    internal BrowserSession(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        Browser = browser;
        Context = context;
        Page = page;
        Page.Console += (_, message) => Console.Add($"{message.Type}: {message.Text}");
        Page.PageError += (_, error) => Console.Add($"pageerror: {error}");
    }

    public IBrowser Browser { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <summary>The page's console messages and uncaught errors so far.</summary>
    public List<string> Console { get; } = [];

    /// <summary>Screenshots the page as a test attachment and as <c>TestResults/screenshots/&lt;test&gt;-&lt;name&gt;.png</c>.</summary>
    public async Task ScreenshotAsync(string name)
    {
        byte[] png = await Page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        string test = TestContext.Current.Test?.TestDisplayName ?? "test";
        string file = string.Concat($"{test}-{name}".Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        string directory = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, file + ".png"), png);
        TestContext.Current.AddAttachment(name, png, "image/png");
    }

    /// <summary>Runs <paramref name="test"/>; on failure screenshots the page and adds the console to the message.</summary>
    public async Task RunAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception e) when (e is not Xunit.Sdk.SkipException)
        {
            try
            {
                await ScreenshotAsync("failure");
            }
            catch (PlaywrightException)
            {
                // The page may be gone; the original failure matters more.
            }

            TestContext.Current.AddAttachment("console", string.Join('\n', Console));
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
