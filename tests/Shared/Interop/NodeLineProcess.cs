using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Tether.Tests.Interop;

/// <summary>
/// A Node harness script (<c>tests/interop/&lt;harness&gt;/client.mjs</c>) in its own process, driven over the line
/// protocol of <c>tests/interop/shared/line-protocol.mjs</c>: one JSON command per line on stdin, answers matched to
/// commands by <c>id</c>, unsolicited <c>{"event": …}</c> lines, logs on stderr. This class owns the process
/// plumbing; the interop drivers (LiveStore, Replicache) own their commands and events.
/// </summary>
/// <remarks>
/// <c>ready</c> and <c>fatal</c> events are handled here; any other event goes to the owner's event handler, which
/// returns false for events it does not expect; such an event, or one without a handler, fails the process. When the
/// process fails or ends, every pending command faults and the owner's failure handler runs, so its own event tasks
/// can fault too.
/// </remarks>
public sealed class NodeLineProcess : IAsyncDisposable
{
    /// <summary>How long a process may take to exit after it was asked to, or killed.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private const int StderrLinesKept = 400;
    private static readonly Lazy<string?> Root = new(FindRepositoryRoot);

    private readonly Process _process;
    private readonly string _description;
    private readonly string _logName;
    private readonly Func<string, JsonElement, bool>? _onEvent;
    private readonly Action<Exception>? _onFailure;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly Queue<string> _stderr = new();
    private long _nextId;
    private string? _fatal;
    private int _disposed;

    private NodeLineProcess(Process process, string description, string logName, Func<string, JsonElement, bool>? onEvent, Action<Exception>? onFailure)
    {
        _process = process;
        _description = description;
        _logName = logName;
        _onEvent = onEvent;
        _onFailure = onFailure;
    }

    /// <summary>The directory of a harness (<c>tests/interop/&lt;harness&gt;</c>), holding its script and node_modules.</summary>
    public static string HarnessDirectory(string harness)
        => Root.Value is { } root
            ? Path.Combine(root, "tests", "interop", harness)
            : throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; the interop tests run from the repository's build output.");

    /// <summary>
    /// Skips the calling test when Node or the harness's packages (checked by <paramref name="installedPackage"/>, a
    /// path under node_modules) are missing, or fails it when <c>TETHER_REQUIRE_ALL=1</c> (CI) so that nothing passes
    /// there by skipping. <paramref name="tests"/> names the tests in the message, e.g. "LiveStore interop tests".
    /// </summary>
    public static void RequireHarness(string harness, string installedPackage, string tests)
        => Require(HarnessProblem(harness, installedPackage), tests);

    /// <summary>Skips the calling test because of <paramref name="problem"/> (something it needs is missing), or
    /// fails it when <c>TETHER_REQUIRE_ALL=1</c>; does nothing when <paramref name="problem"/> is null.</summary>
    public static void Require(string? problem, string tests)
    {
        if (problem is null)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
        {
            Assert.Fail($"{problem} TETHER_REQUIRE_ALL=1, so the {tests} may not be skipped.");
        }

        Assert.Skip($"{problem} Skipping the test.");
    }

    /// <summary>
    /// Starts <c>node</c> in the harness directory with <paramref name="arguments"/> (Node options, the script, its
    /// flags) and waits for its <c>ready</c> event. <paramref name="description"/> names the process in every failure,
    /// <paramref name="logName"/> in its stderr tail.
    /// </summary>
    public static async Task<NodeLineProcess> StartAsync(
        string harness,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        string description,
        string logName,
        Func<string, JsonElement, bool>? onEvent,
        Action<Exception>? onFailure,
        TimeSpan readyTimeout)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = HarnessDirectory(harness),
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            // A byte order mark in front of the first command would make it invalid JSON for the script.
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new NodeLineProcess(process, description, logName, onEvent, onFailure);
        process.OutputDataReceived += (_, e) => node.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnStderr(e.Data);
        if (!process.Start())
        {
            process.Dispose();
            throw new InvalidOperationException("node did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node._ready.Task.WaitAsync(readyTimeout);
        }
        catch (TimeoutException)
        {
            await node.DisposeAsync();
            throw new TimeoutException($"{description} was not ready within {readyTimeout.TotalSeconds:0.###} s.{node.StderrSection()}");
        }
        catch (Exception)
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>Sends <paramref name="command"/> (which has a <c>cmd</c>) with a fresh <c>id</c> and returns the answer
    /// line, whether it is <c>ok</c> or not.</summary>
    public async Task<JsonElement> SendAsync(JsonObject command, TimeSpan timeout)
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
            throw new InvalidOperationException($"{_description} cannot take \"{name}\": {ExitReason()}.{StderrSection()}");
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
            throw new InvalidOperationException($"{_description} could not be sent \"{name}\" (its stdin is closed).{StderrSection()}", e);
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
            throw new TimeoutException($"{_description} did not answer \"{name}\" (id {id}) within {timeout.TotalSeconds:0.###} s.{StderrSection()}");
        }
    }

    /// <summary>After a command that ends the script (it answers, then exits): waits for the exit and requires 0.</summary>
    public async Task WaitForCleanExitAsync(string command)
    {
        int code;
        try
        {
            code = await _exited.Task.WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_description} answered {command} but did not exit within {ExitTimeout.TotalSeconds:0.###} s.{StderrSection()}");
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"{_description} exited with {code} after {command}.{StderrSection()}");
        }
    }

    /// <summary>Whether an answer line says <c>"ok": true</c>.</summary>
    public static bool IsOk(JsonElement answer)
        => answer.TryGetProperty("ok", out JsonElement ok) && ok.ValueKind == JsonValueKind.True;

    /// <summary>An answer's or event's <c>error</c>, as text.</summary>
    public static string ErrorOf(JsonElement answer)
        => answer.TryGetProperty("error", out JsonElement error) ? error.ToString() : "(no error given)";

    /// <summary>The last <paramref name="lines"/> lines the process wrote to stderr (its logs).</summary>
    private string StderrTail(int lines = 60)
    {
        lock (_stderr)
        {
            return string.Join('\n', _stderr.Skip(Math.Max(0, _stderr.Count - lines)));
        }
    }

    /// <summary>The stderr tail as a section to append to a failure message.</summary>
    public string StderrSection()
    {
        string tail = StderrTail();
        return tail.Length == 0 ? " (nothing on stderr)" : $"\n--- stderr tail of {_logName} ---\n{tail}\n--- end of stderr ---";
    }

    /// <summary>Kills the process and everything it started, and waits until it has ended.</summary>
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
            throw new TimeoutException($"{_description} did not end within {ExitTimeout.TotalSeconds:0.###} s of being killed.{StderrSection()}");
        }
        finally
        {
            _process.Dispose();
            _stdinLock.Dispose();
        }
    }

    private static string? HarnessProblem(string harness, string installedPackage)
    {
        if (Root.Value is null)
        {
            return $"No Tether.slnx above {AppContext.BaseDirectory}, so the harness tests/interop/{harness} cannot be found.";
        }

        string install = $"run `npm install --no-audit --no-fund` in tests/interop/{harness}";
        if (!IsOnPath("node"))
        {
            return $"node is not on PATH (Node 20 or newer is needed); then {install}.";
        }

        string modules = Path.Combine(HarnessDirectory(harness), "node_modules");
        if (!File.Exists(Path.Combine(modules, installedPackage)))
        {
            return $"The {harness} harness's packages are not installed ({modules} is missing or incomplete): {install}.";
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
            // The script keeps every log off stdout, so anything else there is a harness bug worth failing loudly on.
            Fail($"wrote a line that is not JSON to stdout ({e.Message}): {line}");
            return;
        }

        if (message.TryGetProperty("event", out JsonElement kind))
        {
            string name = kind.GetString() ?? "";
            if (name == "ready")
            {
                _ready.TrySetResult(message);
            }
            else if (name == "fatal")
            {
                Fail($"failed: {ErrorOf(message)}");
            }
            else if (_onEvent?.Invoke(name, message) != true)
            {
                Fail($"sent an event its driver does not expect: {line}");
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
        // a line the script could not read (id null), which no driver sends.
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

        FailPending(new InvalidOperationException($"{_description} {ExitReason()}.{StderrSection()}"));
    }

    private void Fail(string problem)
    {
        _fatal ??= problem;
        FailPending(new InvalidOperationException($"{_description} {problem}{StderrSection()}"));
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

        // Marked observed (by reading Exception) so a test that never awaits it does not get unobserved-task noise.
        if (_ready.TrySetException(error))
        {
            _ = _ready.Task.Exception;
        }

        _onFailure?.Invoke(error);
    }

    private string ExitReason()
        => _fatal is not null ? _fatal
            : _exited.Task.IsCompletedSuccessfully ? $"exited with code {_exited.Task.Result}"
            : "has ended";
}
