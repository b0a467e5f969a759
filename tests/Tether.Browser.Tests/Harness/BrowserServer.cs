using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Tether.Browser.Tests.Harness;

/// <summary>
/// The real issue tracker server as a child process (<c>dotnet IssueTracker.Server.dll</c>) on 127.0.0.1 and a free
/// port, with its SQLite file in a temporary directory, in the Development environment (so static web assets are
/// served from the build output). <see cref="StopAsync"/> and <see cref="StartAsync()"/> take it down and bring it
/// back on the same port and file, for offline tests. Disposal kills the process tree and deletes the directory.
/// </summary>
public sealed class BrowserServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _serverDll;
    private readonly string _environment;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private BrowserServer(string serverDll, string environment, IReadOnlyDictionary<string, string> settings, string directory, int port)
    {
        _serverDll = serverDll;
        _environment = environment;
        _settings = settings;
        _directory = directory;
        Port = port;
        DataPath = Path.Combine(directory, "tether.db");
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>The server's origin, e.g. <c>http://127.0.0.1:5123/</c> (IndexedDB data is kept per origin).</summary>
    public Uri BaseAddress { get; }

    public int Port { get; }

    /// <summary>The server's SQLite file; it survives <see cref="StopAsync"/>.</summary>
    public string DataPath { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server wrote to stdout and stderr so far (for failure messages).</summary>
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

    /// <summary>Starts a server on a free port and a new data file and waits until <c>/sync/health</c> answers: the
    /// build output in Development by default, or another build (a published one) in another environment, with
    /// <paramref name="settings"/> as further environment variables (<c>Tether__Jwt__Key</c>, say).</summary>
    public static async Task<BrowserServer> StartNewAsync(CancellationToken ct = default, string? serverDll = null, string environment = "Development", IReadOnlyDictionary<string, string>? settings = null)
    {
        string dll = serverDll ?? FindServerDll();
        string directory = Path.Combine(Path.GetTempPath(), "tether-browser-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new BrowserServer(dll, environment, settings ?? new Dictionary<string, string>(), directory, FreePort());
        try
        {
            await server.StartAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's build output: next to the test assembly, or the sample's <c>bin/&lt;Configuration&gt;/net10.0</c>.</summary>
    public static string FindServerDll()
    {
        const string name = "IssueTracker.Server.dll";
        string[] candidates =
        [
            Path.Combine(AppContext.BaseDirectory, name),
            Path.Combine(RepoPaths.Root, "samples", "IssueTracker", "IssueTracker.Server", "bin", RepoPaths.Configuration, "net10.0", name),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"IssueTracker.Server is not built; looked for {string.Join(" and ", candidates)}. Build tests/Tether.Browser.Tests (it builds the server).");
    }

    /// <summary>Starts the process again on the same port and file (after <see cref="StopAsync"/>).</summary>
    public Task StartAsync() => StartAsync(CancellationToken.None);

    private async Task StartAsync(CancellationToken ct)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(_serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(_serverDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{Port}");
        info.ArgumentList.Add("--data");
        info.ArgumentList.Add(DataPath);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = _environment;
        info.Environment["DOTNET_ENVIRONMENT"] = _environment;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach ((string name, string value) in _settings)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"IssueTracker.Server exited with code {process.ExitCode} while starting:\n{Output}");
            }

            try
            {
                using HttpResponseMessage response = await http.GetAsync("sync/health", timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested)
            {
                // One request timed out; try again.
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                break;
            }
        }

        await StopAsync();
        throw new TimeoutException($"IssueTracker.Server did not answer /sync/health within {StartTimeout.TotalSeconds}s:\n{Output}");
    }

    /// <summary>Kills the server (its whole process tree); the port and the data file stay for <see cref="StartAsync()"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>GETs <paramref name="path"/> from the server (from the test process, not the browser) as JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        string text = await http.GetStringAsync(path.TrimStart('/'));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
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
