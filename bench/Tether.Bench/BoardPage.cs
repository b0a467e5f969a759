using System.Text.Json;
using Microsoft.Playwright;

namespace Tether.Bench;

/// <summary>How long the first sign-in took, on the page's clock, from the click on Continue; and where that time
/// went: the bootstrap response (first byte and end, ms from the click; body bytes), IndexedDB write transactions
/// (how many, their puts, and when the one with the most puts was opened, got its last put and completed),
/// and the main thread's long tasks (summed).</summary>
internal sealed record BrowserBootstrap(
    double ToBootstrappedMs,
    double ToLiveMs,
    long IssuesInIndexedDb,
    string[] Statuses,
    double ResponseFirstByteMs,
    double ResponseEndMs,
    long ResponseBodyBytes,
    int WriteTransactions,
    long Puts,
    double LargestWriteOpenedMs,
    double LargestWriteLastPutMs,
    double LargestWriteDoneMs,
    double LongTaskMs);

/// <summary>When the page showed one watched title: the WebSocket message that brought it, the start of the first
/// Blazor render batch applied to the DOM after it, the DOM change, the next animation frame (page-clock ms since the
/// Unix epoch); the render batches' summed time and the main thread's long tasks between message and DOM change.</summary>
internal sealed record TitleShown(double FrameArrivedAt, double RenderStartAt, double DomAt, double NextFrameAt, double RenderMs, double LongTaskMs);

/// <summary>
/// The sample app in the machine's Chromium (<c>/usr/bin/chromium</c>, driven by Playwright; no browser download),
/// with an in-page probe installed before the app's scripts: a MutationObserver that logs each text of the status
/// badge and the moment a watched card's title becomes the watched text, a wrapper that logs when each message of the
/// sync WebSocket arrives, and a long-task observer. Times are <c>performance.timeOrigin + performance.now()</c>.
/// </summary>
internal sealed class BoardPage : IAsyncDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly float Patience = (float)TimeSpan.FromMinutes(15).TotalMilliseconds;

    private const string Probe = """
        (() => {
          const now = () => performance.timeOrigin + performance.now();
          const probe = window.__tetherBench = { statuses: [], messages: [], longTasks: [], watch: null };
          try {
            new PerformanceObserver(list => {
              for (const e of list.getEntries()) probe.longTasks.push({ start: performance.timeOrigin + e.startTime, duration: e.duration });
            }).observe({ type: 'longtask', buffered: true });
          } catch { }
          // Blazor's JS side of a render (applying a render batch to the DOM), wrapped when blazor.webassembly.js sets it.
          probe.renders = [];
          let blazor;
          Object.defineProperty(window, 'Blazor', {
            configurable: true,
            get: () => blazor,
            set: value => {
              blazor = value;
              const internal = value && value._internal;
              if (!internal) return;
              let render;
              Object.defineProperty(internal, 'renderBatch', {
                configurable: true,
                get: () => render,
                set: fn => {
                  render = (...args) => {
                    const start = now();
                    try { return fn(...args); } finally { probe.renders.push({ start, end: now() }); }
                  };
                },
              });
            },
          });
          // IndexedDB write transactions: when each was opened, its last put, and when it completed.
          probe.writes = [];
          const transaction = IDBDatabase.prototype.transaction;
          IDBDatabase.prototype.transaction = function (...args) {
            const tx = transaction.apply(this, args);
            if (args[1] === 'readwrite') {
              const entry = { opened: now(), puts: 0, lastPut: NaN, done: NaN };
              tx.__benchWrite = entry;
              probe.writes.push(entry);
              tx.addEventListener('complete', () => { entry.done = now(); });
            }
            return tx;
          };
          const put = IDBObjectStore.prototype.put;
          IDBObjectStore.prototype.put = function (...args) {
            const entry = this.transaction.__benchWrite;
            if (entry) { entry.puts++; entry.lastPut = now(); }
            return put.apply(this, args);
          };
          const Socket = window.WebSocket;
          window.WebSocket = class extends Socket {
            constructor(...args) {
              super(...args);
              // Registered before the app's own listener, so it runs first when a message is dispatched.
              if (String(args[0]).includes('/sync/live')) this.addEventListener('message', () => probe.messages.push(now()));
            }
          };
          const check = () => {
            const at = now();
            const status = document.querySelector('[data-testid=status]');
            const text = status ? status.textContent.trim() : '';
            const last = probe.statuses[probe.statuses.length - 1];
            if (!last || last.text !== text) probe.statuses.push({ text, at });
            const watch = probe.watch;
            if (watch && watch.domAt === undefined) {
              const title = document.querySelector(`[data-issue-id="${watch.id}"] .issue-title`);
              if (title && title.textContent === watch.title) {
                watch.domAt = at;
                requestAnimationFrame(() => { watch.nextFrameAt = now(); });
              }
            }
          };
          new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
        })();
        """;

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IPage _page;

    private BoardPage(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        _page = page;
    }

    /// <summary>Opens the app at <paramref name="app"/> and waits for its sign-in form (the WebAssembly app booted).</summary>
    public static async Task<BoardPage> OpenAsync(Uri app)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not installed at {ChromiumPath} (apt-get install chromium).");
        }
        IPlaywright playwright = await Playwright.CreateAsync();
        IBrowser? browser = null;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs, Timeout = 60_000 });
            IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
            context.SetDefaultTimeout(Patience);
            context.SetDefaultNavigationTimeout(Patience);
            IPage page = await context.NewPageAsync();
            await page.AddInitScriptAsync(Probe);
            await page.GotoAsync(app.ToString());
            await page.Locator("[data-testid=user-input]").WaitForAsync();
            return new BoardPage(playwright, browser, page);
        }
        catch
        {
            if (browser is not null)
            {
                await browser.DisposeAsync();
            }
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>The .NET wall clock in ms since the Unix epoch, comparable with the page's clock on the same machine.</summary>
    public static double WallClockMs() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    /// <summary>The page's clock minus the .NET clock, bounded by one evaluation's round trip: (low, high) in ms.</summary>
    public async Task<(double Low, double High)> ClockOffsetAsync()
    {
        double before = WallClockMs();
        double page = await _page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
        double after = WallClockMs();
        return (page - after, page - before);
    }

    /// <summary>Signs <paramref name="user"/> in and waits until the status badge says Live and IndexedDB holds
    /// <paramref name="issues"/> issues.</summary>
    public async Task<BrowserBootstrap> SignInAsync(string user, int issues)
    {
        await _page.Locator("[data-testid=user-input]").FillAsync(user);
        double clicked = WallClockMs();
        await _page.Locator("[data-testid=sign-in]").ClickAsync();
        await _page.WaitForFunctionAsync("() => window.__tetherBench.statuses.some(s => s.text === 'Live')", null, new PageWaitForFunctionOptions { PollingInterval = 100 });
        JsonElement statuses = await _page.EvaluateAsync<JsonElement>("() => window.__tetherBench.statuses");
        // Before the click the page shows the sign-in form, which has no status badge.
        var log = statuses.EnumerateArray().Select(s => (Text: s.GetProperty("text").GetString()!, At: s.GetProperty("at").GetDouble()))
            .Where(s => s.At >= clicked && s.Text.Length > 0).ToList();
        // The bootstrap is over at the first status past it (Catching up or Live), whether or not "Bootstrapping" was
        // ever rendered in between.
        double bootstrapped = log.First(s => s.Text != "Starting…" && !s.Text.StartsWith("Bootstrapping", StringComparison.Ordinal)).At;
        double live = log.First(s => s.Text == "Live").At;
        long stored = await _page.EvaluateAsync<long>("""
            async ([name, model]) => {
              const db = await new Promise((resolve, reject) => {
                const open = indexedDB.open(name);
                open.onsuccess = () => resolve(open.result);
                open.onerror = () => reject(open.error);
              });
              try {
                return await new Promise((resolve, reject) => {
                  const count = db.transaction('records').objectStore('records').count(IDBKeyRange.bound([model], [model, []]));
                  count.onsuccess = () => resolve(count.result);
                  count.onerror = () => reject(count.error);
                });
              } finally {
                db.close();
              }
            }
            """, new[] { "tether-issue-tracker-" + user, IssueTracker.IssueTrackerModels.Issue });
        if (stored != issues)
        {
            throw new InvalidOperationException($"IndexedDB holds {stored} issues after the bootstrap, not {issues}.");
        }
        JsonElement spent = await _page.EvaluateAsync<JsonElement>("""
            ([clicked, live]) => {
              const probe = window.__tetherBench;
              const response = performance.getEntriesByType('resource').find(e => e.name.includes('/sync/bootstrap'));
              const writes = probe.writes.filter(w => w.opened >= clicked && w.opened <= live);
              const tasks = probe.longTasks.filter(t => t.start + t.duration > clicked && t.start < live);
              const largest = writes.reduce((most, w) => most === null || w.puts > most.puts ? w : most, null);
              return {
                firstByte: response ? performance.timeOrigin + response.responseStart - clicked : -1,
                end: response ? performance.timeOrigin + response.responseEnd - clicked : -1,
                bytes: response ? response.encodedBodySize : -1,
                writes: writes.length,
                puts: writes.reduce((n, w) => n + w.puts, 0),
                opened: largest ? largest.opened - clicked : -1,
                lastPut: largest ? largest.lastPut - clicked : -1,
                done: largest ? largest.done - clicked : -1,
                longTasks: tasks.reduce((n, t) => n + t.duration, 0),
              };
            }
            """, new[] { clicked, live });
        return new BrowserBootstrap(bootstrapped - clicked, live - clicked, stored, [.. log.Select(s => s.Text)],
            spent.GetProperty("firstByte").GetDouble(), spent.GetProperty("end").GetDouble(), spent.GetProperty("bytes").GetInt64(),
            spent.GetProperty("writes").GetInt32(), spent.GetProperty("puts").GetInt64(),
            spent.GetProperty("opened").GetDouble(), spent.GetProperty("lastPut").GetDouble(), spent.GetProperty("done").GetDouble(),
            spent.GetProperty("longTasks").GetDouble());
    }

    /// <summary>Opens a project's board from the sidebar and waits until it shows <paramref name="cards"/> cards; ms.</summary>
    public async Task<double> OpenProjectAsync(string projectId, int cards)
    {
        double clicked = WallClockMs();
        await _page.Locator($"[data-testid=project-link][data-project-id='{projectId}']").ClickAsync();
        await _page.WaitForFunctionAsync("n => document.querySelectorAll('[data-testid=issue-card]').length === n", cards, new PageWaitForFunctionOptions { PollingInterval = 50 });
        return WallClockMs() - clicked;
    }

    /// <summary>From now on the probe watches for issue <paramref name="issueId"/>'s card to show <paramref name="title"/>.</summary>
    public Task WatchAsync(string issueId, string title)
        => _page.EvaluateAsync("w => { window.__tetherBench.watch = w; }", new { id = issueId, title });

    /// <summary>Waits until the watched title is shown and an animation frame ran after it.</summary>
    public async Task<TitleShown> ShownAsync(double since)
    {
        await _page.WaitForFunctionAsync("() => window.__tetherBench.watch.nextFrameAt !== undefined");
        JsonElement shown = await _page.EvaluateAsync<JsonElement>("""
            since => {
              const probe = window.__tetherBench;
              const watch = probe.watch;
              const arrived = probe.messages.filter(t => t >= since && t <= watch.domAt);
              const frameAt = arrived.length ? arrived[arrived.length - 1] : null;
              const from = frameAt ?? since;
              const tasks = probe.longTasks.filter(t => t.start + t.duration > from && t.start < watch.domAt);
              const renders = probe.renders.filter(r => r.start >= from && r.start <= watch.domAt);
              probe.longTasks = probe.longTasks.filter(t => t.start + t.duration > watch.domAt);
              probe.messages = probe.messages.filter(t => t > watch.domAt);
              probe.renders = probe.renders.filter(r => r.start > watch.domAt);
              return {
                frameAt,
                renderStartAt: renders.length ? renders[0].start : null,
                domAt: watch.domAt,
                nextFrameAt: watch.nextFrameAt,
                renderMs: renders.reduce((sum, r) => sum + (r.end - r.start), 0),
                longTaskMs: tasks.reduce((sum, t) => sum + t.duration, 0),
              };
            }
            """, since);
        return new TitleShown(OrNaN(shown.GetProperty("frameAt")), OrNaN(shown.GetProperty("renderStartAt")),
            shown.GetProperty("domAt").GetDouble(), shown.GetProperty("nextFrameAt").GetDouble(),
            shown.GetProperty("renderMs").GetDouble(), shown.GetProperty("longTaskMs").GetDouble());
    }

    /// <summary>A time the probe may not have seen (null), as NaN so that it shows in the report rather than as 0.</summary>
    private static double OrNaN(JsonElement value) => value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
