using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A node as a real process of its own (<c>dotnet Tether.TestHost.dll --storage postgres --connection …</c>, the
/// build this project references), so that it can die by SIGKILL: no shutdown, no disposal, its sockets closed by
/// the kernel. It logs the sequencer's election at Information, which tells which node leads and with which epoch.
/// </summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<string> _output = [];
    private readonly List<(long Epoch, long At)> _epochs = [];
    private readonly Process _process;

    private NodeProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The epochs this node won the sequencer's lead with, in order, each with the
    /// <see cref="Stopwatch.GetTimestamp"/> at which its log line arrived.</summary>
    public IReadOnlyList<(long Epoch, long At)> Epochs
    {
        get
        {
            lock (_output)
            {
                return [.. _epochs];
            }
        }
    }

    /// <summary>Starts a node on <paramref name="connectionString"/> and returns once its health check answers.</summary>
    public static async Task<NodeProcess> StartAsync(string name, string connectionString, int writers = 4)
    {
        string directory = AppContext.BaseDirectory;
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            Path.Combine(directory, "Tether.TestHost.dll"), "--urls", baseAddress.ToString().TrimEnd('/'),
            "--storage", "postgres", "--connection", connectionString, "--writers", writers.ToString(CultureInfo.InvariantCulture),
            "--environment", "Testing", "--Tether:DevelopmentTokens", "true", "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Tether.Server.PostgreSql", "Information", "--Logging:Console:FormatterName", "simple",
            "--Logging:Console:FormatterOptions:SingleLine", "true",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var node = new NodeProcess(name, process, baseAddress);
        process.OutputDataReceived += (_, line) => node.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => node.Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitUntilServingAsync();
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    private async Task WaitUntilServingAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            Assert.False(_process.HasExited, $"Node {Name} exited while starting:\n{Output}");
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
                Assert.Fail($"Node {Name} did not answer its health check within {StartTimeout.TotalSeconds} s:\n{Output}");
            }
            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>The node of <paramref name="nodes"/> that leads the sequencer at the database's epoch, and that epoch,
    /// once one does; fails the test after <paramref name="bound"/>.</summary>
    public static async Task<(NodeProcess Node, long Epoch)> LeaderAsync(string connectionString, IReadOnlyList<NodeProcess> nodes, TimeSpan bound, Func<string> outputs)
        => (await Sql.UntilAsync<Tuple<NodeProcess, long>>(connectionString, async connection =>
        {
            long epoch = await Sql.ScalarAsync<long>(connection, "SELECT epoch FROM tether_head");
            NodeProcess? leader = nodes.FirstOrDefault(n => n.Epochs.Count > 0 && n.Epochs[^1].Epoch == epoch);
            return leader is null ? null : Tuple.Create(leader, epoch);
        }, "a node leads the sequencer", bound, outputs)).ToValueTuple();

    /// <summary>SIGSTOP (<paramref name="frozen"/>) or SIGCONT: the process stops running but keeps its sockets,
    /// as a node in a long pause or on a suspended machine does.</summary>
    public async Task FreezeAsync(bool frozen)
    {
        using Process signal = Process.Start("kill", [frozen ? "-STOP" : "-CONT", _process.Id.ToString(CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("kill did not start.");
        await signal.WaitForExitAsync();
        Assert.Equal(0, signal.ExitCode);
    }

    /// <summary>What the process wrote (the last lines), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return $"--- node {Name} ({BaseAddress}) ---\n" + string.Join('\n', _output.TakeLast(60));
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
            if (Leading().Match(line) is { Success: true } match)
            {
                _epochs.Add((long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), Stopwatch.GetTimestamp()));
            }
        }
    }

    [GeneratedRegex(@"This node leads the sequencer \(epoch (\d+),")]
    private static partial Regex Leading();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
