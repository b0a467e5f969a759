using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IssueTracker;

namespace Tether.Bench;

/// <summary>One title edit by another user and when the board showed it, in ms: from the editor's push answer (and
/// from its sending) to the DOM change and to the next animation frame; the WebSocket message's arrival in the page
/// relative to the answer; from the message to the first Blazor render batch (.NET in WebAssembly: the client applies
/// the frame, the query updates, the components render and diff) and the render batches' own time (JavaScript applying
/// the diff to the DOM); the main thread's long tasks between message and DOM change.</summary>
internal sealed record BrowserEdit(
    double PushMs,
    double AnsweredToDomMs,
    double SentToDomMs,
    double AnsweredToNextFrameMs,
    double AnsweredToMessageMs,
    double MessageToDomMs,
    double MessageToRenderMs,
    double RenderMs,
    double LongTaskMs);

/// <summary>The figures of one issue count.</summary>
internal sealed record ClientScaleBrowserFigures(
    int Issues,
    int Projects,
    int Cards,
    BrowserBootstrap Bootstrap,
    double BoardOpenMs,
    (double Low, double High) ClockOffsetMs,
    IReadOnlyList<BrowserEdit> Edits,
    string LoadAtStart,
    string LoadAtEnd);

/// <summary>
/// The sample app in Chromium at workspace scale (issue 13): the published sample server holds N issues in one team,
/// 1,000 per project; the user signs in and bootstraps them all into IndexedDB; the board of one project (1,000 cards,
/// not virtualised) is open; another member renames an issue on it through an HTTP push, and the time from the push's
/// answer (.NET wall clock) until the card shows the new title (page clock, same machine) is taken.
/// </summary>
internal static class ClientScaleBrowser
{
    public const int IssuesPerProject = 1_000;
    private const string User = "bench";
    private const string Editor = "editor";

    public static async Task<ClientScaleBrowserFigures> RunAsync(string serverDll, int issues, int edits)
    {
        string loadAtStart = ClientScale.LoadAverage();
        int projects = Math.Max(1, issues / IssuesPerProject);
        int cards = issues / projects;
        await using PublishedSample server = await PublishedSample.StartAsync(serverDll);
        using HttpClient owner = Authorized(server.Address, User);
        using HttpClient editor = Authorized(server.Address, Editor);
        Progress($"seeding {issues} issues in {projects} projects");
        await IssueSeeding.SeedAsync(owner, issues, projects);
        await PushLoad.PushAsync(owner, "seed-members", 1, IssueTrackerMutators.AddMember, new JsonObject { ["teamId"] = "t", ["userId"] = Editor });

        Progress("opening Chromium");
        await using BoardPage page = await BoardPage.OpenAsync(server.Address);
        Progress("signing in: bootstrap into IndexedDB");
        BrowserBootstrap bootstrap = await page.SignInAsync(User, issues);
        Progress($"status badge after the click: {string.Join(" → ", bootstrap.Statuses)}");
        int shownProject = projects / 2;
        Progress($"opening the board of project {shownProject}");
        double boardOpen = await page.OpenProjectAsync(IssueSeeding.ProjectId(shownProject, projects), cards);
        (double Low, double High) offset = await page.ClockOffsetAsync();

        Progress($"{edits} title edits");
        var session = new EditSession(page, editor, firstIssue: shownProject * cards, cards);
        // The first edits warm up the code paths on both sides; they are not counted.
        for (int i = 0; i < 3; i++)
        {
            await session.EditAsync();
        }
        var timings = new List<BrowserEdit>(edits);
        for (int i = 0; i < edits; i++)
        {
            timings.Add(await session.EditAsync());
        }
        return new ClientScaleBrowserFigures(issues, projects, cards, bootstrap, boardOpen, offset, timings, loadAtStart, ClientScale.LoadAverage());
    }

    private static void Progress(string step) => Console.Error.WriteLine($"client-scale-browser: {step} (load {ClientScale.LoadAverage()})");

    private static HttpClient Authorized(Uri address, string user)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + user);
        return http;
    }

    /// <summary>The editor's title changes, each on a random card of the shown board, one push at a time.</summary>
    private sealed class EditSession(BoardPage page, HttpClient editor, int firstIssue, int cards)
    {
        private readonly Random _random = new(13);
        private readonly string _clientId = "editor-" + Guid.NewGuid().ToString("N")[..8];
        private long _mutationId;

        public async Task<BrowserEdit> EditAsync()
        {
            long mutationId = ++_mutationId;
            string id = IssueSeeding.IssueId(firstIssue + _random.Next(cards));
            string title = $"Edited {mutationId} {id}";
            await page.WatchAsync(id, title);
            var mutations = new JsonArray(new JsonObject
            {
                ["id"] = mutationId,
                ["name"] = IssueTrackerMutators.UpdateIssue,
                ["args"] = new JsonObject { ["id"] = id, ["title"] = title },
            });
            double sent = BoardPage.WallClockMs();
            using HttpResponseMessage response = await editor.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = _clientId, ["mutations"] = mutations });
            double answered = BoardPage.WallClockMs();
            string answer = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || JsonNode.Parse(answer)?["results"]?[0]?["status"]?.GetValue<string>() != "applied")
            {
                throw new InvalidOperationException($"The editor's push failed: {(int)response.StatusCode} {answer}");
            }
            TitleShown shown = await page.ShownAsync(sent);
            return new BrowserEdit(answered - sent, shown.DomAt - answered, shown.DomAt - sent, shown.NextFrameAt - answered,
                shown.FrameArrivedAt - answered, shown.DomAt - shown.FrameArrivedAt, shown.RenderStartAt - shown.FrameArrivedAt, shown.RenderMs, shown.LongTaskMs);
        }
    }

    public static void Print(IReadOnlyList<ClientScaleBrowserFigures> runs)
    {
        Console.WriteLine();
        Console.WriteLine("The sample app (published Release build) in headless Chromium: first sign-in, eager bootstrap into IndexedDB, ms from the click on Continue (.NET clock) to the status badge's first state past Bootstrapping and to Live (page clock); IndexedDB's issue count checked afterwards. Then one project's board (not virtualised) opened from the sidebar.");
        Console.WriteLine("| issues | projects | to bootstrapped ms | issues/s | to Live ms | issues in IndexedDB | board of cards | board open ms | load at start |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (ClientScaleBrowserFigures run in runs)
        {
            Console.WriteLine(Row(run.Issues, run.Projects, F0(run.Bootstrap.ToBootstrappedMs), F0(run.Issues / run.Bootstrap.ToBootstrappedMs * 1000), F0(run.Bootstrap.ToLiveMs),
                run.Bootstrap.IssuesInIndexedDb, run.Cards, F0(run.BoardOpenMs), run.LoadAtStart));
        }

        Console.WriteLine();
        Console.WriteLine("Where the sign-in's time went (ms from the click): the bootstrap response's first byte and last byte reaching the browser (resource timing), IndexedDB write transactions between click and Live (how many, their puts) and, for the one with the most puts, when it was opened (the client handed the rows over from then), got its last put, and completed (IndexedDB's commit); the main thread's long tasks (over 50 ms) summed.");
        Console.WriteLine("| issues | response first byte | response last byte | body MiB | write transactions | puts | largest write opened | its last put | its commit done | long tasks ms | to Live ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ClientScaleBrowserFigures run in runs)
        {
            BrowserBootstrap b = run.Bootstrap;
            Console.WriteLine(Row(run.Issues, F0(b.ResponseFirstByteMs), F0(b.ResponseEndMs), F1(b.ResponseBodyBytes / 1048576.0), b.WriteTransactions, b.Puts, F0(b.LargestWriteOpenedMs), F0(b.LargestWriteLastPutMs), F0(b.LargestWriteDoneMs), F0(b.LongTaskMs), F0(b.ToLiveMs)));
        }

        Console.WriteLine();
        Console.WriteLine("Another member renames an issue on the open board through an HTTP push, one at a time; ms from the push's answer (.NET wall clock) until the card's title text is the new title in the DOM (MutationObserver, page clock: performance.timeOrigin + performance.now(); same machine, the clocks agree to about a millisecond, see the offset column), and until the next animation frame. The WebSocket message's arrival in the page splits the time: answer → message, message → DOM. Message → DOM is split into message → first Blazor render batch (.NET in WebAssembly: the client applies the frame, the live query updates, the components render and diff) and the render batches themselves (JavaScript applying the diff to the DOM). Long tasks: the main thread's tasks over 50 ms between message and DOM, summed.");
        Console.WriteLine("| issues | cards | edits | answer → DOM p50 | p95 | max | send → DOM p50 | answer → next frame p50 | p95 | push round trip p50 | answer → message p50 | message → DOM p50 | p95 | message → render p50 | render batch p50 | long tasks ms p50 | page − .NET clock ms | load at end |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (ClientScaleBrowserFigures run in runs)
        {
            IReadOnlyList<BrowserEdit> e = run.Edits;
            double[] dom = [.. e.Select(t => t.AnsweredToDomMs)];
            double[] frame = [.. e.Select(t => t.AnsweredToNextFrameMs)];
            double[] messageToDom = [.. e.Select(t => t.MessageToDomMs)];
            Console.WriteLine(Row(run.Issues, run.Cards, e.Count, F1(P(dom, 0.50)), F1(P(dom, 0.95)), F1(dom.Max()),
                F1(P([.. e.Select(t => t.SentToDomMs)], 0.50)), F1(P(frame, 0.50)), F1(P(frame, 0.95)),
                F1(P([.. e.Select(t => t.PushMs)], 0.50)), F1(P([.. e.Select(t => t.AnsweredToMessageMs)], 0.50)), F1(P(messageToDom, 0.50)), F1(P(messageToDom, 0.95)),
                F1(P([.. e.Select(t => t.MessageToRenderMs)], 0.50)), F1(P([.. e.Select(t => t.RenderMs)], 0.50)), F1(P([.. e.Select(t => t.LongTaskMs)], 0.50)), $"{F1(run.ClockOffsetMs.Low)} … {F1(run.ClockOffsetMs.High)}", run.LoadAtEnd));
        }
    }

    /// <summary>A percentile of the times the probe saw (NaN when it saw none).</summary>
    private static double P(double[] values, double p)
    {
        double[] seen = [.. values.Where(v => !double.IsNaN(v))];
        return seen.Length == 0 ? double.NaN : ClientScaleReport.Percentile(seen, p);
    }

    private static string Row(params object[] cells) => "| " + string.Join(" | ", cells.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture))) + " |";

    private static string F0(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
}
