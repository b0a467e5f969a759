using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Tether.Client.Sqlite;
using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Convergence;

/// <summary>Runs one <see cref="Schedule"/> against a real server and real clients, waits for quiescence and checks
/// the convergence invariants. Every mutation carries a unique token (the id of a comment, the description of an
/// issue it creates or updates), so the server's log shows exactly which mutations took effect and how often.</summary>
internal sealed class ConvergenceRun : IAsyncDisposable
{
    private const string Team = "t1";
    private const string Project = "p1";
    private const int MaxConnectionsToQuiesce = 100;
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);
    private static int s_runs;

    private readonly Schedule _schedule;
    private readonly int _run = Interlocked.Increment(ref s_runs);
    private readonly TempDirectory _files = new();
    private readonly Slot[] _slots;
    private readonly StringBuilder _log = new();
    private TestServer? _server;
    private int _tokens;

    public ConvergenceRun(Schedule schedule)
    {
        _schedule = schedule;
        _slots = [.. schedule.Clients.Select((spec, i) => new Slot(i, spec, Path.Combine(_files.Path, $"client{i}.db")))];
    }

    public static async Task RunAsync(Schedule schedule)
    {
        await using var run = new ConvergenceRun(schedule);
        try
        {
            await run.ExecuteAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nschedule: {schedule}\nrun log:\n{run._log}", e);
        }
    }

    private async Task ExecuteAsync()
    {
        _server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using (SyncApi setup = _server.Api("alice"))
        {
            var seed = new Seed(setup, "setup");
            await seed.TeamWithProjectAsync(Team, Project);
            await seed.MemberAsync(Team, "bob");
            await seed.MemberAsync(Team, "carol");
            for (int i = 0; i < Schedule.IssueIds - 1; i++)
            {
                await seed.RunAsync("createIssue", new { id = IssueId(i), projectId = Project, title = "Seeded", description = "setup" });
            }
        }
        foreach (Slot slot in _slots)
        {
            await StartClientAsync(slot);
        }
        foreach (Step step in _schedule.Steps)
        {
            await RunStepAsync(step);
        }
        await QuiesceAsync();
        await CheckInvariantsAsync();
        if (Environment.GetEnvironmentVariable("TETHER_CONVERGENCE_STATS") is { Length: > 0 } statsFile)
        {
            int issued = _slots.Sum(s => s.All.Count);
            int local = _slots.Sum(s => s.All.Count(i => i.LocallyRefused is not null));
            int rejected = _slots.Sum(s => s.Rejected.Count);
            await File.AppendAllTextAsync(statsFile, $"clients={_slots.Length} sqlite={_slots.Count(s => s.Spec.Sqlite)} sse={_slots.Count(s => s.Spec.Transport == LiveTransport.ServerSentEvents)} steps={_schedule.Steps.Length} issued={issued} locallyRefused={local} rejected={rejected} serverRestarts={_schedule.Steps.Count(s => s.Kind == StepKind.RestartServer)} clientRestarts={_schedule.Steps.Count(s => s.Kind == StepKind.RestartClient)} breaks={_slots.Sum(s => s.Faults.Breaks)} duplicated={_slots.Sum(s => s.Faults.Duplicated)} delayed={_slots.Sum(s => s.Faults.Delayed)}\n");
        }
    }

    private static string IssueId(int i) => "i" + i;

    private async Task RunStepAsync(Step step)
    {
        Slot slot = _slots[step.Client];
        _log.Append(step).Append('\n');
        switch (step.Kind)
        {
            case StepKind.Mutate:
                await MutateAsync(slot, step);
                break;
            case StepKind.Disconnect:
                slot.Faults.Break(endStream: step.Variant % 2 == 0);
                break;
            case StepKind.Duplicate:
                slot.Faults.DuplicateNext(1 + step.Variant);
                break;
            case StepKind.Delay:
                slot.Faults.DelayNext(1 + step.Variant, TimeSpan.FromMilliseconds(5 + 5 * step.Variant));
                break;
            case StepKind.RestartServer:
                _server = await _server!.RestartAsync();
                break;
            case StepKind.RestartClient:
                await StopClientAsync(slot);
                await StartClientAsync(slot);
                break;
            case StepKind.Settle:
                await WaitAsync(() => slot.Client!.PendingCount == 0 && slot.Client.Status == ClientStatus.Live, TimeSpan.FromSeconds(2));
                break;
        }
    }

    private async Task MutateAsync(Slot slot, Step step)
    {
        string token = $"r{_run}-m{++_tokens}";
        string issue = IssueId(step.Issue);
        (string name, object args) = step.Op switch
        {
            OpKind.CreateIssue => ("createIssue", (object)new { id = issue, projectId = Project, title = "T " + token, description = token }),
            OpKind.UpdateTitle => ("updateIssue", new { id = issue, title = "T " + token, description = token }),
            OpKind.UpdateStatus => ("updateIssue", new { id = issue, status = Schedule.Statuses[step.Variant % 3], description = token }),
            OpKind.DeleteIssue => ("deleteIssue", new { id = issue }),
            _ => ("addComment", new { id = token, issueId = issue, body = token }),
        };
        var issued = new Issued(slot.Index, token, step.Op, issue);
        try
        {
            MutationHandle handle = await slot.Client!.MutateAsync(name, args);
            issued.MutationId = handle.Id;
            slot.Issued[handle.Id] = issued;
        }
        catch (MutationRejectedException e)
        {
            // Refused by the local view (e.g. an update of an issue this client saw deleted): never sent.
            issued.LocallyRefused = e.Code;
        }
        slot.All.Add(issued);
    }

    private async Task StartClientAsync(Slot slot)
    {
        ILocalStore store = slot.Spec.Sqlite ? await SqliteLocalStore.OpenAsync(slot.File) : slot.Memory;
        // Pushes wait until the rejection handler is attached, so no rejection of a re-sent mutation goes unseen.
        var gate = new PushGate();
        slot.Gate = gate;
        TetherClient client = await ClientHarness.StartAsync(_server!, slot.Spec.User, store, options =>
        {
            options.Transport = slot.Spec.Transport;
            options.MinRetryDelay = TimeSpan.FromMilliseconds(20);
            options.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
            options.WrapLiveChannel = slot.Faults.Wrap;
            options.HttpHandler = gate;
        });
        client.MutationRejected += (_, e) => slot.Rejected[e.MutationId] = e.Code;
        client.StatusChanged += (_, status) =>
        {
            if (status is ClientStatus.Offline or ClientStatus.CatchingUp)
            {
                Interlocked.Increment(ref slot.Connections);
            }
        };
        slot.Client = client;
        gate.Open();
    }

    private static async Task StopClientAsync(Slot slot)
    {
        if (slot.Client is { } client)
        {
            slot.Client = null;
            await client.DisposeAsync();
        }
        slot.Gate?.Dispose();
        slot.Gate = null;
    }

    /// <summary>Every client has sent and confirmed everything, and its confirmed data is at the server's head. How long
    /// that takes depends on the machine, so the run fails on a number of steps instead: a client that connected
    /// (or lost its connection) <see cref="MaxConnectionsToQuiesce"/> times without the run settling is stuck in a
    /// loop. Only a run in which nothing happens at all for <see cref="HangGuard"/> fails on the clock.</summary>
    private async Task QuiesceAsync()
    {
        using SyncApi api = _server!.Api("alice");
        int[] connectionsBefore = [.. _slots.Select(s => Volatile.Read(ref s.Connections))];
        var sinceChange = Stopwatch.StartNew();
        string? lastState = null;
        long head = -1;
        while (true)
        {
            foreach (Slot slot in _slots)
            {
                if (slot.Client!.Status == ClientStatus.Failed)
                {
                    throw new Xunit.Sdk.XunitException($"client c{slot.Index} failed: {slot.Client.Failure}");
                }
            }
            head = await HeadAsync(api);
            if (_slots.All(s => s.Client!.PendingCount == 0 && s.Client.LastSyncId == head))
            {
                return;
            }
            string state = $"head {head}; " + string.Join("; ", _slots.Select(s => $"c{s.Index} status {s.Client!.Status} pending {s.Client.PendingCount} lastSyncId {s.Client.LastSyncId} connections {Volatile.Read(ref s.Connections) - connectionsBefore[s.Index]} failure {s.Client.Failure?.Message}"));
            if (_slots.FirstOrDefault(s => Volatile.Read(ref s.Connections) - connectionsBefore[s.Index] > MaxConnectionsToQuiesce) is { } looping)
            {
                throw new Xunit.Sdk.XunitException($"no quiescence: c{looping.Index} connected {MaxConnectionsToQuiesce} times without the run settling: {state}");
            }
            if (state != lastState)
            {
                lastState = state;
                sinceChange.Restart();
            }
            else if (sinceChange.Elapsed > HangGuard)
            {
                throw new Xunit.Sdk.XunitException($"no quiescence: nothing changed for {HangGuard.TotalMinutes} minutes: {state}");
            }
            await Task.Delay(10);
        }
    }

    private static async Task<long> HeadAsync(SyncApi api)
    {
        string health = await api.Http.GetStringAsync("/sync/health");
        return JsonDocument.Parse(health).RootElement.GetProperty("head").GetInt64();
    }

    private async Task CheckInvariantsAsync()
    {
        // 1. Every client's confirmed data is exactly the server's data for its user.
        foreach (Slot slot in _slots)
        {
            using SyncApi api = _server!.Api(slot.Spec.User);
            BootstrapResult server = await api.BootstrapAsync(new { type = "eager" });
            IReadOnlyDictionary<(string Model, string Id), JsonElement> local = slot.Client!.ConfirmedSnapshot();
            var missing = server.Rows.Keys.Except(local.Keys).ToList();
            var extra = local.Keys.Except(server.Rows.Keys).ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0,
                $"c{slot.Index} ({slot.Spec}) has other records than the server: missing [{string.Join(", ", missing)}], extra [{string.Join(", ", extra)}]");
            foreach (((string Model, string Id) key, JsonElement row) in server.Rows)
            {
                Assert.True(row.GetRawText() == local[key].GetRawText(),
                    $"c{slot.Index} ({slot.Spec}) differs on {key}: server {row.GetRawText()}, client {local[key].GetRawText()}");
            }
        }

        // 2. Every mutation took effect exactly once when the server accepted it, never when it refused it.
        using SyncApi alice = _server!.Api("alice");
        List<JsonElement> actions = await alice.AllActionsAsync();
        var effects = new Dictionary<string, int>(StringComparer.Ordinal);
        int issueDeletes = 0;
        foreach (JsonElement action in actions)
        {
            string kind = action.GetProperty("action").GetString()!;
            string model = action.GetProperty("modelName").GetString()!;
            string? token = (model, kind) switch
            {
                ("issue", "insert" or "update") => action.GetProperty("data").GetProperty("description").GetString(),
                ("comment", "insert") => action.GetProperty("modelId").GetString(),
                _ => null,
            };
            if (model == "issue" && kind == "delete")
            {
                issueDeletes++;
            }
            if (token is not null && token != "setup")
            {
                effects[token] = effects.GetValueOrDefault(token) + 1;
            }
        }
        var issuedTokens = new HashSet<string>(StringComparer.Ordinal);
        int acceptedDeletes = 0;
        foreach (Slot slot in _slots)
        {
            foreach (Issued issued in slot.All)
            {
                issuedTokens.Add(issued.Token);
                string? rejected = issued.LocallyRefused ?? (issued.MutationId is { } id && slot.Rejected.TryGetValue(id, out string? code) ? code : null);
                if (issued.Op == OpKind.DeleteIssue)
                {
                    acceptedDeletes += rejected is null ? 1 : 0;
                    continue;
                }
                int seen = effects.GetValueOrDefault(issued.Token);
                Assert.True(seen == (rejected is null ? 1 : 0),
                    $"{issued} ({(rejected is null ? "accepted" : "rejected: " + rejected)}) took effect {seen} times on the server");
            }
        }
        string[] phantoms = [.. effects.Keys.Where(t => !issuedTokens.Contains(t))];
        Assert.True(phantoms.Length == 0, $"the server holds effects of mutations nobody issued: {string.Join(", ", phantoms)}");
        Assert.True(issueDeletes == acceptedDeletes, $"the server deleted issues {issueDeletes} times, the clients had {acceptedDeletes} deletes accepted");
    }

    /// <summary>Waits until <paramref name="condition"/> holds or <paramref name="limit"/> passes.</summary>
    private static async Task WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < limit)
        {
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Slot slot in _slots)
        {
            await StopClientAsync(slot);
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _files.Dispose();
    }

    private sealed class Slot(int index, ClientSpec spec, string file)
    {
        public int Index { get; } = index;
        public ClientSpec Spec { get; } = spec;
        public string File { get; } = file;
        public InMemoryLocalStore Memory { get; } = new();
        public ChannelFaults Faults { get; } = new();
        public TetherClient? Client { get; set; }
        public PushGate? Gate { get; set; }

        /// <summary>Times the client connected or lost its connection (a field, for <see cref="Interlocked"/>).</summary>
        public int Connections;
        public List<Issued> All { get; } = [];
        public Dictionary<long, Issued> Issued { get; } = [];
        public ConcurrentDictionary<long, string> Rejected { get; } = new();
    }

    private sealed class Issued(int client, string token, OpKind op, string issue)
    {
        public string Token { get; } = token;
        public OpKind Op { get; } = op;
        public long? MutationId { get; set; }
        public string? LocallyRefused { get; set; }

        public override string ToString() => $"c{client} #{MutationId} {Op}({issue}) token {Token}";
    }
}

/// <summary>An HTTP handler that holds pushes until <see cref="Open"/>.</summary>
internal sealed class PushGate() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _open.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath.EndsWith("/push", StringComparison.Ordinal) == true)
        {
            await _open.Task.WaitAsync(cancellationToken);
        }
        return await base.SendAsync(request, cancellationToken);
    }
}
