using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using IssueTracker;
using Tether.Client;
using Tether.Client.Sqlite;

namespace Tether.Bench;

/// <summary>
/// The .NET client at workspace scale (issue 13): a server (in a child process, so that this process's heap is the
/// client's) holds N issues; a client bootstraps them into SQLite, against the raw insert floor of the same rows; its
/// managed heap per record is taken without queries and with the ten queries of <see cref="ClientScaleQueries"/>;
/// then, with the ten queries open on a second client, another user edits issues one push at a time and 100 per push,
/// and the time from each frame's arrival at the client to the queries' Changed handlers is taken.
/// </summary>
internal static class ClientScale
{
    public const string User = "bench";
    private const string Editor = "editor";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    public static async Task<ClientScaleFigures> RunAsync(string directory, int issues, int edits, int frames, bool sqliteForLatency)
    {
        using IdleServerProcess server = await IdleServerProcess.StartAsync(TimeSpan.FromSeconds(15));
        using HttpClient http = Authorized(server.Address, User);
        using HttpClient editor = Authorized(server.Address, Editor);
        Progress($"seeding {issues} issues");
        await IssueSeeding.SeedAsync(http, issues);
        int records = IssueSeeding.RecordCount(issues);

        Progress("bootstrap into SQLite");
        long heapBefore = ManagedHeap();
        var clientFile = Path.Combine(directory, $"client-scale-{issues}.db");
        long started = Stopwatch.GetTimestamp();
        double bootstrapSeconds;
        double heapWithout, heapWith;
        List<HeldRecord> held;
        string projectId, teamId, oneIssueId;
        await using (TetherClient client = await StartAsync(server.Address, await SqliteLocalStore.OpenAsync(clientFile), clock: null))
        {
            await WaitForStatusAsync(client, ClientStatus.CatchingUp, ClientStatus.Live);
            bootstrapSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await WaitForStatusAsync(client, ClientStatus.Live);
            heapWithout = (double)(ManagedHeap() - heapBefore) / records;

            (projectId, teamId, oneIssueId) = Parameters(client);
            QueryProbe[] probes = OpenQueries(client, projectId, oneIssueId, Channel.CreateUnbounded<bool>().Writer);
            heapWith = (double)(ManagedHeap() - heapBefore) / records;
            foreach (QueryProbe probe in probes)
            {
                probe.Dispose();
            }
            held = [.. client.ConfirmedSnapshot().Select(r => new HeldRecord(r.Key.Model, r.Key.Id, r.Value.GetRawText()))];
        }
        if (held.Count != records)
        {
            throw new InvalidOperationException($"The client held {held.Count} records, not {records}.");
        }
        double jsonBytes = (double)held.Sum(r => (long)Encoding.UTF8.GetByteCount(r.Data)) / records;
        Progress("raw insert floor");
        double floor = ClientScaleFloor.InsertsPerSecond(Path.Combine(directory, $"client-scale-floor-{issues}.db"), held);
        held = [];

        Progress($"{edits} edits and {frames} frames of 100");
        await PushLoad.PushAsync(http, "scale-setup", 1, IssueTrackerMutators.AddMember, new JsonObject { ["teamId"] = teamId, ["userId"] = Editor });
        var signals = Channel.CreateUnbounded<bool>();
        var frameClock = new FrameClock(signals.Writer);
        ILocalStore store = sqliteForLatency ? await SqliteLocalStore.OpenAsync(Path.Combine(directory, $"client-scale-live-{issues}.db")) : new InMemoryLocalStore();
        await using TetherClient live = await StartAsync(server.Address, store, frameClock);
        await WaitForStatusAsync(live, ClientStatus.Live);
        QueryProbe[] open = OpenQueries(live, projectId, oneIssueId, signals.Writer);
        try
        {
            var session = new EditSession(live, editor, open, frameClock, signals.Reader);
            // The first pushes warm up the code paths on both sides, until the JIT's tiered recompilation has settled
            // (it took a third of the CPU during the first frames when only five pushes were uncounted); not counted.
            for (int i = 0; i < 50; i++)
            {
                await session.PushAsync(1);
            }
            for (int i = 0; i < 30; i++)
            {
                await session.PushAsync(100);
            }
            var editTimings = new List<EditTiming>();
            for (int i = 0; i < edits; i++)
            {
                editTimings.Add(await session.PushAsync(1));
            }
            var frameTimings = new List<EditTiming>();
            for (int i = 0; i < frames; i++)
            {
                frameTimings.Add(await session.PushAsync(100));
            }
            return new ClientScaleFigures(issues, records, records / bootstrapSeconds, floor, jsonBytes, heapWithout, heapWith, open.Length,
                sqliteForLatency ? "SQLite" : "in memory", editTimings, frameTimings, LoadAverage());
        }
        finally
        {
            foreach (QueryProbe probe in open)
            {
                probe.Dispose();
            }
        }
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static void Progress(string step) => Console.Error.WriteLine($"client-scale: {step} (load {LoadAverage()})");

    private static HttpClient Authorized(Uri address, string user)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = Patience };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + user);
        return http;
    }

    private static async Task<TetherClient> StartAsync(Uri server, ILocalStore store, FrameClock? clock)
    {
        var options = new TetherClientOptions
        {
            ServerUrl = new Uri(server, "/sync/"),
            UserId = User,
            TokenProvider = _ => ValueTask.FromResult("dev:" + User),
            Mutators = IssueTrackerMutators.All,
            Store = store,
            // A selective field, as an app would index it; a field of three values (status) gains little from one.
            Indexes = [new LocalIndex(IssueTrackerModels.Issue, "projectId")],
        };
        if (clock is not null)
        {
            options.WrapLiveChannel = clock.Wrap;
        }
        return await TetherClient.StartAsync(options);
    }

    private static async Task WaitForStatusAsync(TetherClient client, params ClientStatus[] wanted)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStatus(object? sender, ClientStatus status)
        {
            if (wanted.Contains(status))
            {
                reached.TrySetResult();
            }
            else if (status == ClientStatus.Failed)
            {
                reached.TrySetException(client.Failure ?? new InvalidOperationException("The client failed."));
            }
        }
        client.StatusChanged += OnStatus;
        try
        {
            if (wanted.Contains(client.Status))
            {
                reached.TrySetResult();
            }
            await reached.Task.WaitAsync(Patience);
        }
        finally
        {
            client.StatusChanged -= OnStatus;
        }
    }

    /// <summary>The project, team and one issue the queries name, read from the client's own data.</summary>
    private static (string ProjectId, string TeamId, string OneIssueId) Parameters(TetherClient client)
    {
        using ILiveQuery<BenchIssue> all = client.Query(IssueTrackerModels.Issue, ClientScaleJson.Default.BenchIssue);
        IReadOnlyList<BenchIssue> issues = all.Current;
        BenchIssue middle = issues[issues.Count / 2];
        return (middle.ProjectId, middle.TeamId, middle.Id);
    }

    private static QueryProbe[] OpenQueries(TetherClient client, string projectId, string oneIssueId, ChannelWriter<bool> signals)
        => [.. ClientScaleQueries.Mix(projectId, User, oneIssueId).Select(shape => new QueryProbe(client, shape, signals))];

    /// <summary>The managed heap after a full, compacting collection (large objects included).</summary>
    private static long ManagedHeap()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The other user's pushes and the client's answer to each. Everything but the push and the wait is off
    /// the clock: choosing issues, working out which queries must show the edit, and checking they do.</summary>
    private sealed class EditSession(TetherClient client, HttpClient editor, QueryProbe[] probes, FrameClock clock, ChannelReader<bool> signals)
    {
        private readonly Random _random = new(13);
        private readonly string[] _ids = [.. probes[0].Query.Current.Select(i => i.Id)];
        private readonly string _clientId = "editor-" + Guid.NewGuid().ToString("N")[..8];
        private long _mutationId;

        public async Task<EditTiming> PushAsync(int count)
        {
            var edited = new Dictionary<string, BenchIssue>(StringComparer.Ordinal);
            var befores = new List<BenchIssue>(count);
            var mutations = new JsonArray();
            while (edited.Count < count)
            {
                string id = _ids[_random.Next(_ids.Length)];
                if (edited.ContainsKey(id))
                {
                    continue;
                }
                BenchIssue before = client.Get(IssueTrackerModels.Issue, id, ClientScaleJson.Default.BenchIssue)
                    ?? throw new InvalidOperationException($"The client does not show issue '{id}'.");
                long mutationId = ++_mutationId;
                (BenchIssue after, JsonObject args) = Change(before, mutationId);
                befores.Add(before);
                edited[id] = after;
                mutations.Add(new JsonObject { ["id"] = mutationId, ["name"] = IssueTrackerMutators.UpdateIssue, ["args"] = args });
            }
            // A query shows the push when an edited issue passes its filter before or after the edit.
            QueryProbe[] showing = [.. probes.Where(p => befores.Any(p.Shape.Filter) || edited.Values.Any(p.Shape.Filter))];
            foreach (QueryProbe probe in probes)
            {
                probe.Arm();
            }
            int mark = clock.Count;
            using HttpResponseMessage response = await editor.PostAsJsonAsync("/sync/push", new JsonObject { ["clientId"] = _clientId, ["mutations"] = mutations });
            string answer = await response.Content.ReadAsStringAsync();
            long answered = Stopwatch.GetTimestamp();
            if (!response.IsSuccessStatusCode || JsonNode.Parse(answer)?["results"] is not JsonArray results
                || results.Count != count || results.Any(r => r?["status"]?.GetValue<string>() != "applied"))
            {
                throw new InvalidOperationException($"The editor's push failed: {(int)response.StatusCode} {answer}");
            }

            ArrivedFrame[] arrived = [];
            bool Done()
            {
                arrived = clock.SyncFramesSince(mark);
                return arrived.Sum(f => f.Actions) >= count
                    && showing.All(p => p.FirstChanged != 0)
                    // The sync loop asked for the next frame: it is done with this push's.
                    && clock.ReceivesStarted > arrived[^1].Receive;
            }
            using var patience = new CancellationTokenSource(Patience);
            while (!Done())
            {
                try
                {
                    await signals.ReadAsync(patience.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"The client did not show a push of {count} within {Patience}: {arrived.Length} sync frames, queries notified: {string.Join(", ", probes.Where(p => p.FirstChanged != 0).Select(p => p.Shape.Name))}.");
                }
            }
            long arrival = arrived[0].Timestamp;
            long first = showing.Min(p => p.FirstChanged);
            long all = showing.Max(p => p.FirstChanged);
            long last = probes.Where(p => p.ChangedCount > 0).Max(p => p.LastChanged);
            int handlers = probes.Sum(p => p.ChangedCount);
            foreach (QueryProbe probe in probes)
            {
                probe.Verify(edited);
            }
            return new EditTiming(Ms(arrival, first), Ms(arrival, all), Ms(arrival, last), Ms(answered, all), arrived.Length, arrived.Sum(f => f.Actions), handlers);
        }

        private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

        /// <summary>A new title, or another status, by turns; never a change that leaves the issue as it was.</summary>
        private static (BenchIssue After, JsonObject Args) Change(BenchIssue before, long mutationId)
        {
            if (mutationId % 3 == 0)
            {
                string title = $"Edited {mutationId} {before.Id}";
                return (before with { Title = title }, new JsonObject { ["id"] = before.Id, ["title"] = title });
            }
            string[] statuses = [.. IssueStatus.All];
            int current = Math.Max(0, Array.IndexOf(statuses, before.Status ?? IssueStatus.Todo));
            string status = statuses[(current + 1 + (int)(mutationId % 2)) % statuses.Length];
            return (before with { Status = status }, new JsonObject { ["id"] = before.Id, ["status"] = status });
        }
    }
}
