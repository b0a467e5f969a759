using System.Diagnostics;
using System.Text;

namespace Tether.Packages.Tests.Harness;

/// <summary>The <c>dotnet</c> command line, as a reader of the README runs it: to completion, or as a long-running
/// process whose output lines the test waits for.</summary>
public static class Dotnet
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>No build server outlives the test, and nothing asks to send telemetry.</summary>
    public static readonly IReadOnlyDictionary<string, string> Quiet = new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="directory"/> and returns its
    /// output; a non-zero exit fails with the whole output.</summary>
    public static async Task<string> RunAsync(string directory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        await using LineProcess process = LineProcess.Start(directory, environment, arguments);
        using var timeout = new CancellationTokenSource(CommandTimeout);
        int exitCode;
        try
        {
            exitCode = await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} took longer than {CommandTimeout}:\n{process.Output}");
        }
        return exitCode == 0
            ? process.Output
            : throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited with {exitCode}:\n{process.Output}");
    }
}

/// <summary>A <c>dotnet</c> process with its standard input open and its output kept line by line.</summary>
public sealed class LineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(Func<string, bool> Matches, TaskCompletionSource<string> Seen)> _waiters = [];

    private LineProcess(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static LineProcess Start(string directory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach ((string name, string value) in environment)
        {
            info.Environment[name] = value;
        }
        var process = new LineProcess(new Process { StartInfo = info });
        process._process.OutputDataReceived += (_, e) => process.Heard(e.Data);
        process._process.ErrorDataReceived += (_, e) => process.Heard(e.Data);
        process._process.Start();
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits for an output line that <paramref name="matches"/> (one already printed counts).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> matches, string what, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Split('\n').FirstOrDefault(line => matches(line.TrimEnd('\r'))) is { } printed)
            {
                return printed;
            }
            _waiters.Add((matches, seen));
        }
        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No line {what} within {timeout}; the process printed:\n{Output}");
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    private void Heard(string? line)
    {
        if (line is null)
        {
            return;
        }
        List<TaskCompletionSource<string>> released = [];
        lock (_output)
        {
            _output.AppendLine(line);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Matches(line))
                {
                    released.Add(_waiters[i].Seen);
                    _waiters.RemoveAt(i);
                }
            }
        }
        released.ForEach(seen => seen.TrySetResult(line));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
