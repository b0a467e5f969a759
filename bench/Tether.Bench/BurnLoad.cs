using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Tether.Bench;

/// <summary>The figures of one burn run: durable pushes of <see cref="BurnMutator"/> through nodes pinned to cores.</summary>
internal sealed record BurnFigures(string Cores, int Writers, PushFigures Push, CpuPerPush Cpu);

/// <summary>CPU milliseconds per push during a run: all nodes together, the load generator (this process), PostgreSQL.</summary>
internal sealed record CpuPerPush(double Nodes, double LoadGenerator, double PostgreSql);

/// <summary>
/// Nodes that add capacity: each node is a child process (<see cref="BurnNode"/>) pinned to one core with
/// <c>taskset -c</c>, all on one PostgreSQL database; the load generator (this process) and PostgreSQL are not
/// pinned. Clients push <see cref="BurnMutator"/>, which spends 1 ms of CPU before it writes, so that a node's core,
/// not the database, bounds its writes. The floor: the same 1 ms spin back to back in a child pinned to core 0.
/// </summary>
internal static class BurnLoad
{
    /// <summary>Every node is a fresh process, whose JIT needs its first loaded seconds (see <see cref="PostgresLoad.FirstWarmUp"/>).</summary>
    private static readonly TimeSpan WarmUp = PostgresLoad.FirstWarmUp;

    /// <summary>Spins of 1 ms per second in a child pinned to <paramref name="core"/>.</summary>
    public static async Task<double> FloorAsync(int core, TimeSpan duration)
    {
        using Process child = Start(core, BurnNode.FloorMode, duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        child.StandardInput.Close();
        string output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        return child.ExitCode == 0
            ? double.Parse(output.Trim(), CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"the burn floor exited with {child.ExitCode}: {output} {await child.StandardError.ReadToEndAsync()}");
    }

    public static async Task<BurnFigures> RunAsync(string connectionString, int[] cores, int clients, int writers, TimeSpan duration)
    {
        var nodes = new List<(Process Child, Uri Address)>();
        try
        {
            // One after the other: the first migrates the fresh database.
            foreach (int core in cores)
            {
                Process child = Start(core, BurnNode.NodeMode, connectionString, writers.ToString(CultureInfo.InvariantCulture));
                nodes.Add((child, await AddressOfAsync(child)));
            }
            using var https = new LoadClients([.. nodes.Select(n => n.Address)], clients, userPerClient: true);
            string run = Guid.NewGuid().ToString("N")[..8];
            await PushLoad.SetUpAsync(https, run);
            await https.RunAsync(clients, WarmUp, (http, c, id) => PushLoad.PushAsync(http, $"warm-{run}-{c}", id, BurnMutator.MutatorName, PushLoad.Issue(run, PushLoad.RandomId())));

            NodeMeters before = await MetersAsync(nodes.Select(n => n.Address));
            (TimeSpan Nodes, TimeSpan Self, TimeSpan PostgreSql) cpuBefore = Cpu(nodes);
            long unavailable = 0;
            (long pushes, double seconds) = await https.RunAsync(clients, duration, async (http, c, id) =>
                Interlocked.Add(ref unavailable, await PushLoad.PushAsync(http, $"client-{run}-{c}", id, BurnMutator.MutatorName, PushLoad.Issue(run, PushLoad.RandomId()))));
            (TimeSpan Nodes, TimeSpan Self, TimeSpan PostgreSql) cpuAfter = Cpu(nodes);
            NodeMeters after = await MetersAsync(nodes.Select(n => n.Address));
            double perPush(TimeSpan used) => used.TotalMilliseconds / Math.Max(1, pushes);
            return new BurnFigures(
                string.Join(",", cores),
                after.Writers / cores.Length,
                new PushFigures(clients, pushes, seconds, after.Commits - before.Commits, after.Conflicts - before.Conflicts, unavailable),
                new CpuPerPush(perPush(cpuAfter.Nodes - cpuBefore.Nodes), perPush(cpuAfter.Self - cpuBefore.Self), perPush(cpuAfter.PostgreSql - cpuBefore.PostgreSql)));
        }
        finally
        {
            foreach ((Process child, _) in nodes)
            {
                await StopAsync(child);
            }
        }
    }

    private static (TimeSpan Nodes, TimeSpan Self, TimeSpan PostgreSql) Cpu(List<(Process Child, Uri Address)> nodes)
        => (nodes.Aggregate(TimeSpan.Zero, (sum, n) => sum + CpuTimes.Of(n.Child.Id)), CpuTimes.Of(Environment.ProcessId), CpuTimes.PostgreSql());

    private static Process Start(int core, params string[] arguments)
    {
        var start = new ProcessStartInfo("taskset")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(core.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(typeof(BurnLoad).Assembly.Location);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException("taskset did not start.");
    }

    private static async Task<Uri> AddressOfAsync(Process child)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                return new Uri(line["listening ".Length..]);
            }
        }
        throw new InvalidOperationException($"a node exited before it served: {await child.StandardError.ReadToEndAsync()}");
    }

    /// <summary>The nodes' meters together (writers summed).</summary>
    private static async Task<NodeMeters> MetersAsync(IEnumerable<Uri> nodes)
    {
        using var http = new HttpClient();
        var total = new NodeMeters(0, 0, 0);
        foreach (Uri node in nodes)
        {
            NodeMeters meters = await http.GetFromJsonAsync<NodeMeters>(new Uri(node, "/bench/meters"))
                ?? throw new InvalidOperationException($"{node} answered no meters.");
            total = new NodeMeters(total.Commits + meters.Commits, total.Conflicts + meters.Conflicts, total.Writers + meters.Writers);
        }
        return total;
    }

    /// <summary>Closing its input stops a node gracefully; one that does not stop within 20 s is killed.</summary>
    private static async Task StopAsync(Process child)
    {
        using (child)
        {
            child.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await child.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }
        }
    }
}
