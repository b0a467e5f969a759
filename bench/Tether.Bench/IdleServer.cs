using System.Diagnostics;
using System.Runtime;

namespace Tether.Bench;

/// <summary>
/// The server side of the idle-connection scenario, run as a child process so that its memory is the server's
/// alone: it prints its address, then answers each <c>measure</c> line on stdin with the managed heap after a full,
/// compacting collection and the process's working set, in bytes.
/// </summary>
internal static class IdleServer
{
    public const string Mode = "idle-server";

    public static async Task RunAsync(string dataPath, TimeSpan heartbeat)
    {
        await using LoopbackServer server = await LoopbackServer.StartAsync(dataPath, configure: options => options.HeartbeatInterval = heartbeat);
        Console.WriteLine("listening " + server.Address);
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "measure")
            {
                Console.WriteLine(Measure());
            }
        }
    }

    private static string Measure()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        using Process self = Process.GetCurrentProcess();
        return managed + " " + self.WorkingSet64;
    }
}

/// <summary>The parent's handle on an <see cref="IdleServer"/> child.</summary>
internal sealed class IdleServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private IdleServerProcess(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<IdleServerProcess> StartAsync(TimeSpan heartbeat)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tether-bench-idle-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(IdleServer).Assembly.Location);
        }
        start.ArgumentList.Add(IdleServer.Mode);
        start.ArgumentList.Add(Path.Combine(directory, "idle.db"));
        start.ArgumentList.Add(heartbeat.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Process process = Process.Start(start)!;
        string line = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The idle server exited before it listened.");
        return new IdleServerProcess(process, directory, new Uri(line["listening ".Length..]));
    }

    /// <summary>The child's managed heap and working set, in bytes.</summary>
    public async Task<(long Managed, long WorkingSet)> MeasureAsync()
    {
        await _process.StandardInput.WriteLineAsync("measure");
        await _process.StandardInput.FlushAsync();
        string[] parts = (await _process.StandardOutput.ReadLineAsync())!.Split(' ');
        return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
