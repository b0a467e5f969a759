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

    /// <summary>
    /// How long any page action or wait may take before the test fails (Playwright's default for every context).
    /// Only a failing test waits this long. It is far above what the slowest step needs on a loaded 2-core machine:
    /// booting the Debug build of the app (37 MB of framework files, fetched twice while the service worker
    /// precaches) took over 30 s in CI while every other test project ran beside it.
    /// </summary>
    public const float Deadline = 120_000;

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
            IPage page = await NewPageAsync(browser);
            return new BrowserSession(playwright, browser, page.Context, page);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a context of its own (another user: its own storage and service worker).</summary>
    internal static async Task<IPage> NewPageAsync(IBrowser browser)
    {
        IBrowserContext context = await browser.NewContextAsync();
        context.SetDefaultTimeout(Deadline);
        context.SetDefaultNavigationTimeout(Deadline);
        return await context.NewPageAsync();
    }
}

/// <summary>One browser, context and page; screenshots go to the test's attachments and TestResults/screenshots.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly List<string> _console = [];
    private readonly DateTime _started = DateTime.UtcNow;

    internal BrowserSession(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        Browser = browser;
        Context = context;
        Page = page;
        Page.Console += (_, message) => Log($"{message.Type}: {message.Text}");
        Page.PageError += (_, error) => Log($"pageerror: {error}");
    }

    public IBrowser Browser { get; }
    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <summary>The page's console messages and uncaught errors so far.</summary>
    private string[] ConsoleLines()
    {
        lock (_console)
        {
            return [.. _console];
        }
    }

    private void Log(string line)
    {
        lock (_console)
        {
            _console.Add(line);
        }
    }

    /// <summary>Another user: a page in a new context of the same browser.</summary>
    public Task<IPage> NewPageAsync() => Browsers.NewPageAsync(Browser);

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

    /// <summary>
    /// Runs <paramref name="test"/>; on failure screenshots the page and fails with the original message, the time
    /// since the browser started and the end of the page's console, so a CI log alone tells what the page was doing.
    /// </summary>
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

            string[] console = ConsoleLines();
            TestContext.Current.AddAttachment("console", string.Join('\n', console));
            string tail = string.Join('\n', console.TakeLast(30).Select(line => "  " + line));
            throw new BrowserTestFailedException(
                $"{e.GetType().Name}: {e.Message}\n{(DateTime.UtcNow - _started).TotalSeconds:F0} s after the browser started; " +
                $"the page's console ({console.Length} lines, the last 30):\n{tail}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>A browser test's failure, carrying what the page showed in its console.</summary>
public sealed class BrowserTestFailedException(string message, Exception inner) : Exception(message, inner);
