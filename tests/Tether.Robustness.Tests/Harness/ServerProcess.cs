using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tether.Robustness.Tests.Harness;

/// <summary>
/// The test model's server as a real process (<c>dotnet Tether.TestHost.dll --urls … --data …</c>, the build this
/// project references), so that it can be killed with SIGKILL mid-write and started again on the same SQLite file and
/// port.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dataPath;
    private readonly List<string> _output = [];
    private Process? _process;

    private ServerProcess(string dataPath, int port)
    {
        _dataPath = dataPath;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    public static async Task<ServerProcess> StartAsync(string dataPath)
    {
        var server = new ServerProcess(dataPath, FreePort());
        await server.StartAsync();
        return server;
    }

    /// <summary>Kills the process at once (SIGKILL: no shutdown, no flush) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        Process process = _process!;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    /// <summary>Starts the process and returns once its health check answers.</summary>
    public async Task StartAsync()
    {
        string directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            Path.Combine(directory, "Tether.TestHost.dll"), "--urls", BaseAddress.ToString().TrimEnd('/'), "--data", _dataPath,
            "--environment", "Testing", "--Tether:DevelopmentTokens", "true", "--Logging:LogLevel:Default", "Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            Assert.False(_process.HasExited, "The server process exited while starting:\n" + Output);
            try
            {
                using HttpResponseMessage health = await http.GetAsync("/sync/health", deadline.Token);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                Assert.Fail($"The server process did not answer its health check within {StartTimeout.TotalSeconds} s:\n" + Output);
            }
            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>What the process wrote (the last lines), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(40));
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Add(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await KillAsync();
        }
    }
}
