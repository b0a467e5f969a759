using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster of one test's own (initdb into a directory under /tmp, trust auth, 127.0.0.1 on a
/// free port, the replication settings .ci/run gives its clusters), which the test may stop and start as it likes:
/// no other test loses its connections. As root, initdb and pg_ctl run as the <c>postgres</c> user (they refuse
/// root). Without PostgreSQL's server binaries the test is skipped, or fails when <c>TETHER_REQUIRE_ALL=1</c>.
/// </summary>
internal sealed class PrivateCluster : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private readonly string _bin;
    private readonly string _directory;
    private readonly int _port;

    private PrivateCluster(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        _port = port;
    }

    private string Data => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "server.log");

    /// <summary>The cluster's superuser role <c>tether</c> on its maintenance database.</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = "tether",
        Database = "postgres",
    }.ConnectionString;

    public static async Task<PrivateCluster> StartAsync()
    {
        string bin = FindBinaries();
        string directory = Path.Combine("/tmp", "tether-test-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var cluster = new PrivateCluster(bin, directory, FreePort());
        try
        {
            if (AsRoot)
            {
                await RunAsync("chown", ["postgres:postgres", directory], directory);
            }
            await cluster.RunPgAsync("initdb", "-D", cluster.Data, "-U", "postgres", "--auth=trust", "--locale=C", "--encoding=UTF8");
            await cluster.StartServerAsync();
            var postgres = new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString) { Username = "postgres" };
            await using var connection = new NpgsqlConnection(postgres.ConnectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await Sql.ExecuteAsync(connection, "CREATE ROLE tether SUPERUSER LOGIN");
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Creates a database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Sql.ExecuteAsync(connection, $"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server in <paramref name="mode"/> (<c>immediate</c>: a crash, recovery at the next start;
    /// <c>fast</c>: clients are disconnected and a shutdown checkpoint written) and starts it again; returns how long
    /// each half took.</summary>
    public async Task<(TimeSpan Stop, TimeSpan Start)> RestartAsync(string mode)
    {
        long stopping = Stopwatch.GetTimestamp();
        await RunPgAsync("pg_ctl", "stop", "-D", Data, "-m", mode, "-w", "-t", "60", "-s");
        TimeSpan stop = Stopwatch.GetElapsedTime(stopping);
        long starting = Stopwatch.GetTimestamp();
        await StartServerAsync();
        return (stop, Stopwatch.GetElapsedTime(starting));
    }

    private Task StartServerAsync()
        => RunPgAsync("pg_ctl", "start", "-D", Data, "-l", LogFile, "-w", "-t", "60", "-s", "-o",
            $"-c listen_addresses=127.0.0.1 -p {_port.ToString(CultureInfo.InvariantCulture)} -c unix_socket_directories={_directory} -c max_connections=200 " +
            "-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10 -c max_pred_locks_per_transaction=1024 -c max_pred_locks_per_page=32");

    /// <summary>The server's log, for failure messages.</summary>
    public string ServerLog => File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(40)) : "(no server log)";

    private Task RunPgAsync(string tool, params string[] arguments)
    {
        string path = Path.Combine(_bin, tool);
        return AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], _directory) : RunAsync(path, arguments, _directory);
    }

    private static async Task RunAsync(string file, string[] arguments, string workingDirectory)
    {
        // In the cluster's directory: as the postgres user, initdb and pg_ctl fail in a directory it cannot enter.
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await errors}");
    }

    private static bool AsRoot => Environment.UserName == "root";

    /// <summary>The newest installed server's binaries (Debian's layout), or the ones on PATH.</summary>
    private static string FindBinaries()
    {
        const string Debian = "/usr/lib/postgresql";
        string? bin = Directory.Exists(Debian)
            ? Directory.GetDirectories(Debian)
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(d => File.Exists(Path.Combine(d.Bin, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
                .FirstOrDefault()
            : null;
        bin ??= (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
        if (bin is null)
        {
            const string Message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed, so no private cluster can be started";
            if (Environment.GetEnvironmentVariable("TETHER_REQUIRE_ALL") == "1")
            {
                Assert.Fail(Message + "; TETHER_REQUIRE_ALL=1, so this test may not be skipped.");
            }
            Assert.Skip(Message + ". Skipping the test.");
        }
        return bin;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (File.Exists(Path.Combine(Data, "postmaster.pid")))
            {
                // Immediate: the cluster is thrown away, a shutdown checkpoint would be wasted.
                await RunPgAsync("pg_ctl", "stop", "-D", Data, "-m", "immediate", "-w", "-s");
            }
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
