using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Replicache.Tests.Interop;

/// <summary>
/// One real Replicache 15.3.0 instance (<c>kvStore: 'mem'</c>) in its own Node process, running
/// <c>tests/interop/replicache/client.mjs</c> and driven over JSON lines on its stdin and stdout. Each process is its own
/// client group with one client; several of them against one server are independent Replicache clients.
/// </summary>
/// <remarks>
/// Needs <c>node</c> (20 or newer) on PATH and <c>npm install --no-audit --no-fund</c> run in
/// <c>tests/interop/replicache</c>; see <see cref="RequireHarness"/>. The client pushes to
/// <c>{baseUrl}/replicache/push</c> and pulls from <c>{baseUrl}/replicache/pull</c> with the Authorization header
/// <c>Bearer dev:{userId}</c>. Its mutators are the optimistic halves of the issue tracker's (createTeam, addMember,
/// removeMember, createProject, createIssue, updateIssue, deleteIssue, addComment) on keys
/// <c>&lt;modelName&gt;/&lt;modelId&gt;</c>. There is no periodic pull unless asked for: tests call
/// <see cref="PullAsync"/> or <see cref="SyncAsync"/>. Commands run one at a time in the client, in the order sent.
/// </remarks>
public sealed class ReplicacheNodeClient : IAsyncDisposable
{
    /// <summary>How long a command may take beyond any wait it asks for itself: a cold Node start and several clients
    /// on a 2-core machine make single seconds too tight.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultSyncTimeout = TimeSpan.FromSeconds(30);

    private const string InstallHint = "run `npm install --no-audit --no-fund` in tests/interop/replicache";
    private const int StderrLinesKept = 400;
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<string?> Root = new(FindRepositoryRoot);

    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _clientStateNotFound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<JsonElement> _updateNeeded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly Queue<string> _stderr = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _updateNeededCount;
    private string? _fatal;
    private int _disposed;

    private ReplicacheNodeClient(Process process, string userId, string name)
    {
        _process = process;
        UserId = userId;
        Name = name;
    }

    /// <summary>The user the client acts as (its Authorization header is <c>Bearer dev:{UserId}</c> unless overridden).</summary>
    public string UserId { get; }

    /// <summary>The Replicache <c>name</c>.</summary>
    public string Name { get; }

    /// <summary>Replicache's clientID, the <c>mutations[].clientID</c> of this client's pushes.</summary>
    public string ClientId => ReadyField("clientID");

    /// <summary>Replicache's clientGroupID, the <c>clientGroupID</c> of this client's pushes and pulls.</summary>
    public string ClientGroupId => ReadyField("clientGroupID");

    /// <summary>The Node process's id, e.g. to kill it abruptly in a crash test.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The <c>ready</c> line: the instance exists (it does not mean the server has been reached).</summary>
    public Task<JsonElement> Ready => _ready.Task;

    /// <summary>Completes when Replicache's <c>onClientStateNotFound</c> fired (the server answered
    /// <c>{"error":"ClientStateNotFound"}</c>); the client group pushes and pulls no more after that. Faults if the
    /// process ends first.</summary>
    public Task ClientStateNotFound => _clientStateNotFound.Task;

    /// <summary>Completes with the reason (e.g. <c>{"type":"VersionNotSupported","versionType":"schema"}</c>) the first
    /// time Replicache's <c>onUpdateNeeded</c> fired. Faults if the process ends first.</summary>
    public Task<JsonElement> UpdateNeeded => _updateNeeded.Task;

    /// <summary>How many times <c>onUpdateNeeded</c> fired so far (Replicache calls it on every refused request).</summary>
    public int UpdateNeededCount => Volatile.Read(ref _updateNeededCount);

    /// <summary>Completes with the exit code once the process has ended and its output has been read.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The directory holding <c>client.mjs</c> and its <c>node_modules</c>.</summary>
    public static string HarnessDirectory
        => Root.Value is { } root
            ? Path.Combine(root, "tests", "interop", "replicache")
            : throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; the Replicache interop tests run from the repository's build output.");

    /// <summary>
    /// Skips the calling test when Node or the harness's packages are missing, or fails it when
    /// <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes there by skipping.
    /// </summary>
    public static void RequireHarness()
    {
        string? problem = HarnessProblem();
        if (problem is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
        {
            Assert.Fail(problem + " TETHER_REQUIRE_ALL=1, so the Replicache interop tests may not be skipped.");
        }

        Assert.Skip(problem + " Skipping the Replicache interop test.");
    }

    /// <summary>
    /// Starts a client process and waits for its Replicache instance to exist. <paramref name="baseUrl"/> is the
    /// server's address, e.g. <c>http://127.0.0.1:PORT</c> (the client appends <c>/replicache/push</c> and
    /// <c>/replicache/pull</c>). <paramref name="pullInterval"/> null means no periodic pull (Replicache's own default
    /// is 60 s); <paramref name="pushDelay"/> null means 0 (a push right after each mutation, one in flight at a time).
    /// <paramref name="auth"/> replaces the Authorization header <c>Bearer dev:{userId}</c> (e.g. "" to send none);
    /// <paramref name="schemaVersion"/> replaces the schema version "1".
    /// </summary>
    public static async Task<ReplicacheNodeClient> StartAsync(
        Uri baseUrl,
        string userId,
        string name,
        TimeSpan? pullInterval = null,
        TimeSpan? pushDelay = null,
        string? auth = null,
        string? schemaVersion = null,
        TimeSpan? readyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(name);
        RequireHarness();

        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = HarnessDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            // A byte order mark in front of the first command would make it invalid JSON for the client.
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("client.mjs");
        AddFlag(info, "--url", baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        AddFlag(info, "--user", userId);
        AddFlag(info, "--name", name);
        if (pullInterval is { } interval)
        {
            AddFlag(info, "--pull-interval-ms", Milliseconds(interval, nameof(pullInterval)));
        }

        if (pushDelay is { } delay)
        {
            AddFlag(info, "--push-delay-ms", Milliseconds(delay, nameof(pushDelay)));
        }

        if (auth is not null)
        {
            // "--auth=" keeps an empty value a value (parseArgs would otherwise take the next flag for it).
            info.ArgumentList.Add("--auth=" + auth);
        }

        if (schemaVersion is not null)
        {
            info.ArgumentList.Add("--schema-version=" + schemaVersion);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var client = new ReplicacheNodeClient(process, userId, name);
        process.OutputDataReceived += (_, e) => client.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => client.OnStderr(e.Data);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException("node did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        TimeSpan timeout = readyTimeout ?? DefaultReadyTimeout;
        try
        {
            await client._ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await client.DisposeAsync();
            throw new TimeoutException($"{client.Describe()} was not ready within {timeout.TotalSeconds:0.###} s.{client.StderrSection()}");
        }
        catch (Exception)
        {
            await client.DisposeAsync();
            throw;
        }

        return client;
    }

    /// <summary>Runs the mutator <paramref name="name"/> locally with <paramref name="args"/> (serialized with web
    /// defaults, so <c>new { id = "i1", projectId = "p1", title = "T" }</c> works); returns once the local mutation
    /// ran, not once the server has it. A local mutator that throws fails with a
    /// <see cref="ReplicacheCommandException"/>.</summary>
    public async Task MutateAsync(string name, object? args)
    {
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "mutate", ["name"] = name, ["args"] = ToNode(args) },
            DefaultCommandTimeout);
        EnsureOk(answer, "mutate " + name);
    }

    /// <summary>Runs the mutator <paramref name="name"/> once per element of <paramref name="argsList"/>, one after
    /// another, in one command. Fails at the first mutator that throws (the ones before it ran).</summary>
    public async Task MutateManyAsync(string name, IEnumerable<object?> argsList, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(argsList);
        var list = new JsonArray();
        foreach (object? args in argsList)
        {
            list.Add(ToNode(args));
        }

        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "mutateMany", ["name"] = name, ["argsList"] = list },
            timeout ?? DefaultCommandTimeout);
        EnsureOk(answer, "mutateMany " + name);
    }

    /// <summary><c>rep.push({now: true})</c>. It resolves even when the push failed; the result says how it went.</summary>
    public async Task<ReplicacheRequestResult> PushAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "push" }, DefaultCommandTimeout);
        EnsureOk(answer, "push");
        return RequestResult(answer);
    }

    /// <summary><c>rep.pull({now: true})</c>. It resolves even when the pull failed; see
    /// <see cref="ReplicacheRequestResult.Taken"/>.</summary>
    public async Task<ReplicacheRequestResult> PullAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "pull" }, DefaultCommandTimeout);
        EnsureOk(answer, "pull");
        return RequestResult(answer);
    }

    /// <summary>Pushes and pulls until no mutation is pending and the last pull was answered with 200 and taken by
    /// Replicache (at least one round, so the data of other clients is in afterwards); throws a
    /// <see cref="TimeoutException"/> with the client's recent errors when <paramref name="timeout"/> (30 s by
    /// default) passes first.</summary>
    public async Task<ReplicacheSyncResult> SyncAsync(TimeSpan? timeout = null)
    {
        ReplicacheSyncResult result = await TrySyncAsync(timeout);
        if (!result.Synced)
        {
            throw new TimeoutException(
                $"{Describe()} did not sync: {result.Error} (online: {(result.Online ? "yes" : "no")}); recent errors:\n  " +
                string.Join("\n  ", result.Errors) + StderrSection());
        }

        return result;
    }

    /// <summary>Like <see cref="SyncAsync"/>, but not syncing in time is a result, not an exception: for tests that
    /// expect it (e.g. while the server is down).</summary>
    public async Task<ReplicacheSyncResult> TrySyncAsync(TimeSpan? timeout = null)
    {
        TimeSpan wait = timeout ?? DefaultSyncTimeout;
        long timeoutMs = (long)Math.Ceiling(wait.TotalMilliseconds);
        if (timeoutMs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be at least 1 ms.");
        }

        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "sync", ["timeoutMs"] = timeoutMs }, wait + DefaultCommandTimeout);
        bool synced = IsOk(answer);
        return new ReplicacheSyncResult(
            synced,
            OptionalInt(answer, "pending") ?? -1,
            OptionalInt(answer, "rounds") ?? 0,
            answer.TryGetProperty("online", out JsonElement online) && online.ValueKind == JsonValueKind.True,
            Errors(answer),
            synced ? null : ErrorOf(answer));
    }

    /// <summary>Every entry whose key starts with <paramref name="prefix"/> (all of them for ""), ordered by key
    /// (ordinal).</summary>
    public async Task<IReadOnlyList<(string Key, JsonElement Value)>> ScanAsync(string prefix = "")
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "scan", ["prefix"] = prefix }, DefaultCommandTimeout);
        EnsureOk(answer, "scan");
        var entries = new List<(string, JsonElement)>();
        foreach (JsonElement entry in answer.GetProperty("entries").EnumerateArray())
        {
            entries.Add((entry.GetProperty("key").GetString()!, entry.GetProperty("value").Clone()));
        }

        return entries;
    }

    /// <summary>How many local mutations the server has not confirmed yet (a pull confirms them).</summary>
    public async Task<int> PendingAsync() => (await PendingMutationsAsync()).Count;

    /// <summary>The local mutations the server has not confirmed yet, oldest first.</summary>
    public async Task<IReadOnlyList<ReplicachePendingMutation>> PendingMutationsAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "pending" }, DefaultCommandTimeout);
        EnsureOk(answer, "pending");
        return answer.GetProperty("mutations").Deserialize<List<ReplicachePendingMutation>>(Json) ?? [];
    }

    /// <summary>Whether the client is online, how many mutations are pending, how many pushes and pulls it sent and
    /// how many failed, and its last errors.</summary>
    public async Task<ReplicacheStatus> StatusAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "status" }, DefaultCommandTimeout);
        EnsureOk(answer, "status");
        JsonElement requests = answer.GetProperty("requests");
        return new ReplicacheStatus(
            answer.GetProperty("online").GetBoolean(),
            answer.GetProperty("pending").GetInt32(),
            requests.GetProperty("push").GetInt32(),
            requests.GetProperty("pull").GetInt32(),
            requests.GetProperty("failedPush").GetInt32(),
            requests.GetProperty("failedPull").GetInt32(),
            Errors(answer));
    }

    /// <summary><c>rep.close()</c>, then waits for the process to exit with 0. The data is gone with it (kvStore
    /// 'mem').</summary>
    public async Task CloseAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "close" }, DefaultCommandTimeout);
        EnsureOk(answer, "close");
        int code;
        try
        {
            code = await _exited.Task.WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Describe()} answered close but did not exit within {ExitTimeout.TotalSeconds:0.###} s.{StderrSection()}");
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"{Describe()} exited with {code} after close.{StderrSection()}");
        }
    }

    /// <summary>The last <paramref name="lines"/> lines the process wrote to stderr (its logs).</summary>
    public string StderrTail(int lines = 60)
    {
        lock (_stderr)
        {
            return string.Join('\n', _stderr.Skip(Math.Max(0, _stderr.Count - lines)));
        }
    }

    /// <summary>Kills the process and everything it started.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) when (_process.HasExited)
        {
            // It exited between the check and the kill: the goal is reached.
        }

        try
        {
            // _exited completes only after the output has been drained and the exit code read, so the process object
            // is no longer needed once it has.
            await _exited.Task.WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Describe()} did not end within {ExitTimeout.TotalSeconds:0.###} s of being killed.{StderrSection()}");
        }
        finally
        {
            _process.Dispose();
            _stdinLock.Dispose();
        }
    }

    private static string? HarnessProblem()
    {
        if (Root.Value is null)
        {
            return $"No Tether.slnx above {AppContext.BaseDirectory}, so the Replicache harness (tests/interop/replicache) cannot be found.";
        }

        if (!IsOnPath("node"))
        {
            return $"node is not on PATH (Node 20 or newer is needed); then {InstallHint}.";
        }

        if (!File.Exists(Path.Combine(HarnessDirectory, "node_modules", "replicache", "package.json")))
        {
            return $"The Replicache harness's packages are not installed ({Path.Combine(HarnessDirectory, "node_modules")} is missing or incomplete): {InstallHint}.";
        }

        return null;
    }

    private static bool IsOnPath(string command)
    {
        string[] names = OperatingSystem.IsWindows() ? [command + ".exe", command + ".cmd"] : [command];
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => names.Any(name => File.Exists(Path.Combine(dir, name))));
    }

    private static string? FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static void AddFlag(ProcessStartInfo info, string name, string value)
    {
        info.ArgumentList.Add(name);
        info.ArgumentList.Add(value);
    }

    private static string Milliseconds(TimeSpan value, string parameter)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(parameter, value, "Must not be negative.");
        }

        return ((long)Math.Round(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
    }

    private static JsonNode? ToNode(object? args)
        => args switch
        {
            null => null,
            JsonNode node => node.DeepClone(),
            _ => JsonSerializer.SerializeToNode(args, args.GetType(), Json),
        };

    private string ReadyField(string name)
        => _ready.Task.IsCompletedSuccessfully && _ready.Task.Result.TryGetProperty(name, out JsonElement value)
            ? value.GetString() ?? ""
            : throw new InvalidOperationException($"{Describe()} is not ready.");

    private async Task<JsonElement> SendAsync(JsonObject command, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        long id = Interlocked.Increment(ref _nextId);
        command["id"] = id;
        string name = command["cmd"]!.GetValue<string>();
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        if (_exited.Task.IsCompleted || _fatal is not null)
        {
            _pending.TryRemove(id, out _);
            throw new InvalidOperationException($"{Describe()} cannot take \"{name}\": {ExitReason()}.{StderrSection()}");
        }

        await _stdinLock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command.ToJsonString());
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException e)
        {
            _pending.TryRemove(id, out _);
            throw new InvalidOperationException($"{Describe()} could not be sent \"{name}\" (its stdin is closed).{StderrSection()}", e);
        }
        finally
        {
            _stdinLock.Release();
        }

        try
        {
            return await answer.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"{Describe()} did not answer \"{name}\" (id {id}) within {timeout.TotalSeconds:0.###} s.{StderrSection()}");
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            // End of stdout: the process is gone (or going); nothing more will be answered.
            _ = CompleteExitAsync();
            return;
        }

        if (line.Length == 0)
        {
            return;
        }

        JsonElement message;
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            // client.mjs keeps every log off stdout, so anything else there is a harness bug worth failing loudly on.
            Fail($"wrote a line that is not JSON to stdout ({e.Message}): {line}");
            return;
        }

        if (message.TryGetProperty("event", out JsonElement kind))
        {
            switch (kind.GetString())
            {
                case "ready":
                    _ready.TrySetResult(message);
                    break;
                case "clientStateNotFound":
                    _clientStateNotFound.TrySetResult();
                    break;
                case "updateNeeded":
                    Interlocked.Increment(ref _updateNeededCount);
                    _updateNeeded.TrySetResult(message.TryGetProperty("reason", out JsonElement reason) ? reason.Clone() : default);
                    break;
                case "fatal":
                    Fail($"failed: {ErrorOf(message)}");
                    break;
                default:
                    Fail($"sent an unknown event: {line}");
                    break;
            }

            return;
        }

        if (message.TryGetProperty("id", out JsonElement idElement) && idElement.ValueKind == JsonValueKind.Number
            && _pending.TryRemove(idElement.GetInt64(), out TaskCompletionSource<JsonElement>? pending))
        {
            pending.TrySetResult(message);
            return;
        }

        // An answer nobody waits for is one that came after its command timed out (already reported), or an answer to
        // a line the client could not read (id null), which no command of this class sends.
        if (message.TryGetProperty("id", out idElement) && idElement.ValueKind == JsonValueKind.Null)
        {
            Fail($"could not read a command: {line}");
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }

        lock (_stderr)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > StderrLinesKept)
            {
                _stderr.Dequeue();
            }
        }
    }

    private async Task CompleteExitAsync()
    {
        try
        {
            await _process.WaitForExitAsync();
            // The last stderr lines usually say why the process ended; wait briefly so failures include them.
            await Task.WhenAny(_stderrClosed.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            _exited.TrySetResult(_process.ExitCode);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Nobody awaits this method, so its failure goes where everything else waits: the exit result.
            _exited.TrySetException(e);
        }

        FailPending(new InvalidOperationException($"{Describe()} {ExitReason()}.{StderrSection()}"));
    }

    private void Fail(string problem)
    {
        _fatal ??= problem;
        FailPending(new InvalidOperationException($"{Describe()} {problem}{StderrSection()}"));
    }

    private void FailPending(Exception error)
    {
        foreach (long id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out TaskCompletionSource<JsonElement>? pending))
            {
                pending.TrySetException(error);
            }
        }

        // Marked observed (by reading Exception) so a test that never awaits these does not get unobserved-task noise.
        if (_ready.TrySetException(error))
        {
            _ = _ready.Task.Exception;
        }

        if (_clientStateNotFound.TrySetException(error))
        {
            _ = _clientStateNotFound.Task.Exception;
        }

        if (_updateNeeded.TrySetException(error))
        {
            _ = _updateNeeded.Task.Exception;
        }
    }

    private string ExitReason()
        => _fatal is not null ? _fatal
            : _exited.Task.IsCompletedSuccessfully ? $"exited with code {_exited.Task.Result}"
            : "has ended";

    private string Describe() => $"Replicache client {Name} (user {UserId})";

    private string StderrSection()
    {
        string tail = StderrTail();
        return tail.Length == 0 ? " (nothing on stderr)" : $"\n--- stderr tail of {Name} ---\n{tail}\n--- end of stderr ---";
    }

    private void EnsureOk(JsonElement answer, string command)
    {
        if (!IsOk(answer))
        {
            IReadOnlyList<string> errors = Errors(answer);
            throw new ReplicacheCommandException(
                $"{Describe()} failed \"{command}\": {ErrorOf(answer)}" +
                (errors.Count == 0 ? "" : "; recent errors:\n  " + string.Join("\n  ", errors)) + StderrSection(),
                ErrorOf(answer),
                answer);
        }
    }

    private static ReplicacheRequestResult RequestResult(JsonElement answer)
        => new(
            answer.GetProperty("online").GetBoolean(),
            answer.TryGetProperty("taken", out JsonElement taken) ? taken.ValueKind == JsonValueKind.True : null,
            answer.GetProperty("pending").GetInt32(),
            Errors(answer));

    private static bool IsOk(JsonElement answer)
        => answer.TryGetProperty("ok", out JsonElement ok) && ok.ValueKind == JsonValueKind.True;

    private static string ErrorOf(JsonElement answer)
        => answer.TryGetProperty("error", out JsonElement error) ? error.ToString() : "(no error given)";

    private static int? OptionalInt(JsonElement answer, string name)
        => answer.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    private static IReadOnlyList<string> Errors(JsonElement answer)
        => answer.TryGetProperty("errors", out JsonElement errors) && errors.ValueKind == JsonValueKind.Array
            ? [.. errors.EnumerateArray().Select(e => e.ToString())]
            : [];
}

/// <summary>A command the client answered with <c>ok: false</c>, e.g. a local mutator that threw.
/// <see cref="ClientError"/> is the client's error text and <see cref="Answer"/> its whole answer.</summary>
public sealed class ReplicacheCommandException(string message, string clientError, JsonElement answer) : InvalidOperationException(message)
{
    public string ClientError { get; } = clientError;

    public JsonElement Answer { get; } = answer;
}

/// <summary>
/// After <c>rep.push</c> or <c>rep.pull</c>: <see cref="Online"/> is Replicache's <c>rep.online</c> (false only when a
/// request got no answer at all; it stays true through non-200 answers). <see cref="Taken"/> (pulls only) is whether a
/// pull was answered with 200 and accepted by Replicache. <see cref="Errors"/> are the failures logged meanwhile.
/// </summary>
public sealed record ReplicacheRequestResult(bool Online, bool? Taken, int Pending, IReadOnlyList<string> Errors);

/// <summary>The end of a sync: <see cref="Synced"/> when nothing is pending and the last pull was taken, otherwise
/// <see cref="Error"/> says why it timed out. <see cref="Errors"/> are the failures logged while it ran (a sync that
/// succeeded after a server restart lists the failures before it).</summary>
public sealed record ReplicacheSyncResult(bool Synced, int Pending, int Rounds, bool Online, IReadOnlyList<string> Errors, string? Error);

/// <summary>A local mutation the server has not confirmed yet.</summary>
public sealed record ReplicachePendingMutation(string ClientId, long Id, string Name);

/// <summary>The client's counters: pushes and pulls sent, and how many got no answer or not HTTP 200.</summary>
public sealed record ReplicacheStatus(bool Online, int Pending, int Pushes, int Pulls, int FailedPushes, int FailedPulls, IReadOnlyList<string> Errors);
