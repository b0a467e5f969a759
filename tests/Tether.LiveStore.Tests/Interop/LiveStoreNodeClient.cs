using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Tether.LiveStore.Tests.Interop;

/// <summary>
/// One real LiveStore 0.4.0 store (<c>@livestore/adapter-node</c> with the <c>@livestore/sync-cf</c> WebSocket or HTTP
/// transport) in its own Node process, running <c>tests/interop/livestore/client.mjs</c> and driven over JSON lines on
/// its stdin and stdout. Several of them against one server are several independent LiveStore clients, each with its
/// own clientId and data directory.
/// </summary>
/// <remarks>
/// Needs <c>node</c> (20 or newer) on PATH and <c>npm install --no-audit --no-fund</c> run in
/// <c>tests/interop/livestore</c>; see <see cref="RequireHarness"/>. Event ids committed by <see cref="CommitAsync"/>
/// are <c>{prefix}-{i:D6}</c> for i from 0, so they sort in commit order.
/// </remarks>
public sealed class LiveStoreNodeClient : IAsyncDisposable
{
    public const string WebSocketTransport = "ws";
    public const string HttpTransport = "http";

    /// <summary>How long a command may take beyond any wait it asks for itself: a cold Node start and several clients
    /// on a 2-core machine make single seconds too tight.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    private const string InstallHint = "run `npm install --no-audit --no-fund` in tests/interop/livestore";
    private const int StderrLinesKept = 400;
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<string?> Root = new(FindRepositoryRoot);

    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _shutdownEvent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly Queue<string> _stderr = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private string? _fatal;
    private int _disposed;

    private LiveStoreNodeClient(Process process, string storeId, string clientId, string transport, string dataDirectory)
    {
        _process = process;
        StoreId = storeId;
        ClientId = clientId;
        Transport = transport;
        DataDirectory = dataDirectory;
    }

    public string StoreId { get; }
    public string ClientId { get; }
    public string Transport { get; }
    public string DataDirectory { get; }

    /// <summary>The Node process's id, e.g. to kill it abruptly in a crash test.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The <c>ready</c> line: the store exists (it does not mean the server has been reached).</summary>
    public Task<JsonElement> Ready => _ready.Task;

    /// <summary>
    /// Completes with the reason when the store shuts itself down, e.g. <c>backend-id-mismatch</c> after the server's
    /// backendId changed (the local data is then already wiped, and a new process on the same directory syncs afresh),
    /// or <c>error: MaterializeError: …</c>. Faults if the process ends first.
    /// </summary>
    public Task<string> ShutdownEvent => _shutdownEvent.Task;

    /// <summary>Completes with the exit code once the process has ended and its output has been read.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The directory holding <c>client.mjs</c> and its <c>node_modules</c>.</summary>
    public static string HarnessDirectory
        => Root.Value is { } root
            ? Path.Combine(root, "tests", "interop", "livestore")
            : throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; the LiveStore interop tests run from the repository's build output.");

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
            Assert.Fail(problem + " TETHER_REQUIRE_ALL=1, so the LiveStore interop tests may not be skipped.");
        }

        Assert.Skip(problem + " Skipping the LiveStore interop test.");
    }

    /// <summary>
    /// Starts a client process and waits for its store to exist. <paramref name="url"/> is the sync endpoint as
    /// <c>http://127.0.0.1:PORT/livestore</c> (no query: the client appends <c>?storeId=…&amp;payload=…&amp;transport=…</c>);
    /// for <c>ws</c> the client connects to the same address as <c>ws://</c>. <paramref name="token"/> is sent as the
    /// sync payload <c>{"authToken": token}</c>; null sends none. <paramref name="pushBatch"/> caps the events the
    /// store hands its leader per write (LiveStore's <c>leaderPushBatchSize</c>, 100 by default); the leader's own
    /// pushes to the server stay at most 50 events, which adapter-node 0.4.0 does not let a caller change.
    /// </summary>
    public static async Task<LiveStoreNodeClient> StartAsync(
        Uri url,
        string transport,
        string storeId,
        string clientId,
        string dataDirectory,
        string? token,
        int? pushBatch = null,
        TimeSpan? readyTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (transport is not (WebSocketTransport or HttpTransport))
        {
            throw new ArgumentException($"transport must be \"{WebSocketTransport}\" or \"{HttpTransport}\", not \"{transport}\".", nameof(transport));
        }

        RequireHarness();
        Directory.CreateDirectory(dataDirectory);

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

        // Node 20 has no global WebSocket; the HTTP transport instead needs Node's own fetch used once before LiveStore
        // loads undici 7 (reference §2.6, §5.2).
        info.ArgumentList.Add("--import");
        info.ArgumentList.Add(transport == WebSocketTransport ? "./ws-preload.mjs" : "./warm.mjs");
        info.ArgumentList.Add("client.mjs");
        AddFlag(info, "--url", url.AbsoluteUri);
        AddFlag(info, "--transport", transport);
        AddFlag(info, "--store", storeId);
        AddFlag(info, "--client", clientId);
        AddFlag(info, "--dir", Path.GetFullPath(dataDirectory));
        if (token is not null)
        {
            AddFlag(info, "--token", token);
        }

        if (pushBatch is { } batch)
        {
            AddFlag(info, "--push-batch", batch.ToString(CultureInfo.InvariantCulture));
        }

        info.Environment["LIVESTORE_WARM_URL"] = url.GetLeftPart(UriPartial.Authority) + "/";

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var client = new LiveStoreNodeClient(process, storeId, clientId, transport, dataDirectory);
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

    /// <summary>Commits <paramref name="count"/> <c>v1.TodoCreated</c> events in <c>store.commit</c> calls of
    /// <paramref name="batch"/> events each, and returns once the store's leader has persisted them (not once the
    /// server has them). Returns the ids committed.</summary>
    public async Task<IReadOnlyList<string>> CommitAsync(string prefix, int count, int batch = 1)
    {
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "commit", ["prefix"] = prefix, ["count"] = count, ["batch"] = batch },
            DefaultCommandTimeout);
        EnsureOk(answer, "commit");
        return answer.GetProperty("ids").Deserialize<List<string>>(Json)
            ?? throw new InvalidOperationException($"{Describe()} answered commit without ids.");
    }

    /// <summary>The store's todos, ordered by id (ordinal).</summary>
    public async Task<IReadOnlyList<LiveStoreRow>> RowsAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "rows" }, DefaultCommandTimeout);
        EnsureOk(answer, "rows");
        return ReadRows(answer);
    }

    /// <summary>Waits until the store holds at least <paramref name="count"/> todos and returns them; throws a
    /// <see cref="TimeoutException"/> that lists what it had when <paramref name="timeout"/> passes first.</summary>
    public async Task<IReadOnlyList<LiveStoreRow>> WaitForAsync(int count, TimeSpan timeout)
    {
        LiveStoreWaitResult result = await TryWaitForAsync(count, timeout);
        if (!result.Reached)
        {
            throw new TimeoutException(
                $"{Describe()} had {result.Rows.Count} of {count} todos after {timeout.TotalSeconds:0.###} s " +
                $"(first ids: {string.Join(", ", result.Rows.Take(5).Select(r => r.Id))}).{StderrSection()}");
        }

        return result.Rows;
    }

    /// <summary>Like <see cref="WaitForAsync"/>, but a timeout is a result (with the rows at that moment), not an
    /// exception: for tests that expect a count never to be reached.</summary>
    public async Task<LiveStoreWaitResult> TryWaitForAsync(int count, TimeSpan timeout)
    {
        long timeoutMs = (long)Math.Ceiling(timeout.TotalMilliseconds);
        JsonElement answer = await SendAsync(
            new JsonObject { ["cmd"] = "waitFor", ["count"] = count, ["timeoutMs"] = timeoutMs },
            timeout + DefaultCommandTimeout);
        if (!IsOk(answer) && ErrorOf(answer) == "timeout")
        {
            return new LiveStoreWaitResult(false, ReadRows(answer));
        }

        EnsureOk(answer, "waitFor");
        return new LiveStoreWaitResult(true, ReadRows(answer));
    }

    /// <summary>What the client knows about its sync state; see <see cref="LiveStoreStatus"/>.</summary>
    public async Task<LiveStoreStatus> StatusAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "status" }, DefaultCommandTimeout);
        EnsureOk(answer, "status");
        return new LiveStoreStatus(
            answer.GetProperty("connected").GetBoolean(),
            OptionalInt64(answer, "upstreamHead"),
            OptionalInt64(answer, "localHead"),
            OptionalInt64(answer, "pendingCount") is { } pending ? checked((int)pending) : null,
            answer.TryGetProperty("shutdown", out JsonElement shutdown) && shutdown.ValueKind == JsonValueKind.String ? shutdown.GetString() : null,
            answer);
    }

    /// <summary>Shuts the store down cleanly (its files stay consistent for a later process on the same directory) and
    /// waits for the process to exit with 0.</summary>
    public async Task ShutdownAsync()
    {
        JsonElement answer = await SendAsync(new JsonObject { ["cmd"] = "shutdown" }, DefaultCommandTimeout);
        EnsureOk(answer, "shutdown");
        int code;
        try
        {
            code = await _exited.Task.WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Describe()} answered shutdown but did not exit within {ExitTimeout.TotalSeconds:0.###} s.{StderrSection()}");
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"{Describe()} exited with {code} after shutdown.{StderrSection()}");
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

    /// <summary>Kills the process and everything it started; a store that should keep its data intact is shut down
    /// with <see cref="ShutdownAsync"/> first.</summary>
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
            return $"No Tether.slnx above {AppContext.BaseDirectory}, so the LiveStore harness (tests/interop/livestore) cannot be found.";
        }

        if (!IsOnPath("node"))
        {
            return $"node is not on PATH (Node 20 or newer is needed); then {InstallHint}.";
        }

        if (!File.Exists(Path.Combine(HarnessDirectory, "node_modules", "@livestore", "livestore", "package.json")))
        {
            return $"The LiveStore harness's packages are not installed ({Path.Combine(HarnessDirectory, "node_modules")} is missing or incomplete): {InstallHint}.";
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
                case "shutdown":
                    _shutdownEvent.TrySetResult(message.TryGetProperty("reason", out JsonElement reason) ? reason.GetString() ?? "" : "");
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

        if (_shutdownEvent.TrySetException(error))
        {
            _ = _shutdownEvent.Task.Exception;
        }
    }

    private string ExitReason()
        => _fatal is not null ? _fatal
            : _exited.Task.IsCompletedSuccessfully ? $"exited with code {_exited.Task.Result}"
            : "has ended";

    private string Describe() => $"LiveStore client {ClientId} (store {StoreId}, {Transport})";

    private string StderrSection()
    {
        string tail = StderrTail();
        return tail.Length == 0 ? " (nothing on stderr)" : $"\n--- stderr tail of {ClientId} ---\n{tail}\n--- end of stderr ---";
    }

    private void EnsureOk(JsonElement answer, string command)
    {
        if (!IsOk(answer))
        {
            throw new InvalidOperationException($"{Describe()} failed \"{command}\": {ErrorOf(answer)}{StderrSection()}");
        }
    }

    private static bool IsOk(JsonElement answer)
        => answer.TryGetProperty("ok", out JsonElement ok) && ok.ValueKind == JsonValueKind.True;

    private static string ErrorOf(JsonElement answer)
        => answer.TryGetProperty("error", out JsonElement error) ? error.ToString() : "(no error given)";

    private static long? OptionalInt64(JsonElement answer, string name)
        => answer.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    private static List<LiveStoreRow> ReadRows(JsonElement answer)
        => answer.TryGetProperty("rows", out JsonElement rows)
            ? rows.Deserialize<List<LiveStoreRow>>(Json) ?? []
            : [];
}

/// <summary>One row of the harness schema's <c>todos</c> table.</summary>
public sealed record LiveStoreRow(string Id, string Text);

/// <summary>The rows when a wait ended, and whether the count was reached.</summary>
public sealed record LiveStoreWaitResult(bool Reached, IReadOnlyList<LiveStoreRow> Rows);

/// <summary>
/// A client's sync state. <see cref="Connected"/> is LiveStore's <c>store.networkStatus.isConnected</c>: for ws, a Ping
/// answered on an open socket; for http, the last Ping RPC succeeded (it stays true while the server is down until a
/// ping times out). <see cref="UpstreamHead"/> is the leader's upstream head: the highest global sequence number that
/// came back from the server on the pull stream. <see cref="LocalHead"/> counts the leader's pending local events too,
/// and <see cref="PendingCount"/> is how many the server has not confirmed yet. The heads and count are null once the
/// store is shut down, and <see cref="Shutdown"/> then carries the reason. <see cref="Raw"/> is the whole answer.
/// </summary>
public sealed record LiveStoreStatus(bool Connected, long? UpstreamHead, long? LocalHead, int? PendingCount, string? Shutdown, JsonElement Raw);
