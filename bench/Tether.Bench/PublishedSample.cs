using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tether.Bench;

/// <summary>
/// The issue tracker as shipped: <c>dotnet publish -c Release</c> of IssueTracker.Server (the browser app trimmed and
/// compressed into its wwwroot), run as a child process in Production on 127.0.0.1 with its own SQLite file.
/// </summary>
internal sealed class PublishedSample : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output;

    private PublishedSample(Process process, string directory, StringBuilder output, Uri address)
    {
        _process = process;
        _directory = directory;
        _output = output;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Publishes the sample server into <paramref name="output"/> and returns its dll.</summary>
    public static async Task<string> PublishAsync(string output)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "publish", Path.Combine("samples", "IssueTracker", "IssueTracker.Server", "IssueTracker.Server.csproj"),
            "-c", "Release", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false",
        })
        {
            info.ArgumentList.Add(argument);
        }
        var log = new StringBuilder();
        using Process process = StartLogged(info, log);
        await process.WaitForExitAsync().WaitAsync(Patience);
        string dll = Path.Combine(output, "IssueTracker.Server.dll");
        if (process.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"dotnet publish failed with exit code {process.ExitCode}:\n{Text(log)}");
        }
        return dll;
    }

    /// <summary>Starts the published <paramref name="serverDll"/> on a free port and a new data file, and waits until
    /// <c>/sync/health</c> answers.</summary>
    public static async Task<PublishedSample> StartAsync(string serverDll)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tether-bench-sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        int port = FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(serverDll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { serverDll, "--urls", $"http://127.0.0.1:{port}", "--data", Path.Combine(directory, "tether.db"), "--store", "json", "--Tether:DevelopmentTokens", "true" })
        {
            info.ArgumentList.Add(argument);
        }
        // As shipped but for the environment: development tokens, which the bench signs in with, are refused in Production.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Staging";
        info.Environment["DOTNET_ENVIRONMENT"] = "Staging";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var output = new StringBuilder();
        var sample = new PublishedSample(StartLogged(info, output), directory, output, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await sample.WaitUntilHealthyAsync();
            return sample;
        }
        catch
        {
            await sample.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"IssueTracker.Server exited with code {_process.ExitCode} while starting:\n{Text(_output)}");
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync("sync/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // One request timed out; ask again.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"IssueTracker.Server did not answer /sync/health within 60 s:\n{Text(_output)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The directory holding <c>Tether.slnx</c>, above this build's output.</summary>
    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tether.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; run the benchmark from the repository.");
    }

    private static Process StartLogged(ProcessStartInfo info, StringBuilder log)
    {
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
