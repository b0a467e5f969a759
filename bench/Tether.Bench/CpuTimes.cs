using System.Globalization;

namespace Tether.Bench;

/// <summary>CPU time (user and system) that processes have used, read from Linux's /proc: where a run's CPU went,
/// between the nodes, the load generator and PostgreSQL. A PostgreSQL backend that exits during a run takes its time
/// with it, so PostgreSQL's figure is a lower bound.</summary>
internal static class CpuTimes
{
    // Linux reports CPU times in clock ticks of USER_HZ, which is 100 on every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public static TimeSpan Of(int pid) => TryRead(pid, out _, out TimeSpan used) ? used : TimeSpan.Zero;

    /// <summary>All processes named <c>postgres</c> (the server, its backends, the walsenders).</summary>
    public static TimeSpan PostgreSql()
    {
        TimeSpan total = TimeSpan.Zero;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && TryRead(pid, out string name, out TimeSpan used) && name == "postgres")
            {
                total += used;
            }
        }
        return total;
    }

    /// <summary>Fields 2 (the name, in parentheses), 14 (utime) and 15 (stime) of /proc/pid/stat.</summary>
    private static bool TryRead(int pid, out string name, out TimeSpan used)
    {
        name = "";
        used = TimeSpan.Zero;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended between the listing and the read.
            return false;
        }
        int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
        name = stat[(open + 1)..close];
        string[] fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        used = TimeSpan.FromSeconds(ticks / TicksPerSecond);
        return true;
    }
}
