using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Tether.Packages.Tests.Harness;

namespace Tether.Packages.Tests;

/// <summary>
/// The packages as a user meets them: <c>dotnet pack</c> of every library into a folder feed, then the README's "Use
/// Tether in your app" built outside the repository from that feed alone (its commands and files, read from the
/// README), run, and synced between two clients.
/// </summary>
public sealed class PackagedAppTests : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(2);

    private static readonly string[] Libraries =
    [
        "Tether.Core", "Tether.Server", "Tether.Server.Sqlite", "Tether.Server.PostgreSql", "Tether.EntityFrameworkCore",
        "Tether.LiveStore", "Tether.Replicache", "Tether.Client", "Tether.Client.Sqlite", "Tether.Client.Browser",
    ];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "tether-packages-" + Guid.NewGuid().ToString("N"));

    // A version no earlier run used, so that no package cache can hand back an older build under the same number.
    private readonly string _suffix = "test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    private string Version => "0.1.0-" + _suffix;

    private string Feed => Path.Combine(_root, "feed");

    private string App => Path.Combine(_root, "app");

    /// <summary>No build server outlives the test, and nothing asks to send telemetry.</summary>
    private static readonly Dictionary<string, string> Quiet = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    [Fact]
    public async Task The_READMEs_app_built_from_the_packed_packages_runs_and_syncs_two_clients()
    {
        await PackAsync();
        AssertEveryPackageShipsWhatItShould();

        Directory.CreateDirectory(App);
        WriteNuGetConfig();
        foreach (string[] command in ReadmeApp.Commands)
        {
            Assert.Equal("dotnet", command[0]);
            // The README adds the newest packages; here, the ones just packed.
            string[] arguments = command is [_, _, _, "package", _] ? [.. command[1..], "--version", Version] : command[1..];
            await Dotnet.RunAsync(App, Quiet, arguments);
        }
        foreach ((string path, string text) in ReadmeApp.Files)
        {
            await File.WriteAllTextAsync(Path.Combine(App, path), text);
        }
        await Dotnet.RunAsync(App, Quiet, "build", "TodoServer", "-c", "Release");
        await Dotnet.RunAsync(App, Quiet, "build", "TodoClient", "-c", "Release");

        Uri server = new($"http://127.0.0.1:{FreePort()}/");
        var serverEnvironment = new Dictionary<string, string>(Quiet) { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        await using LineProcess todoServer = LineProcess.Start(Path.Combine(App, "TodoServer"), serverEnvironment,
            Path.Combine("bin", "Release", "net10.0", "TodoServer.dll"), "--urls", server.ToString().TrimEnd('/'));
        await WaitUntilHealthyAsync(server, todoServer);

        // One client adds a to-do and has it confirmed; a second, with a local copy of its own, receives it.
        var clientEnvironment = new Dictionary<string, string>(Quiet) { ["TODO_SYNC_URL"] = new Uri(server, "sync/").ToString() };
        string clientDll = Path.Combine(App, "TodoClient", "bin", "Release", "net10.0", "TodoClient.dll");
        await using LineProcess laptop = LineProcess.Start(NewDirectory("laptop"), clientEnvironment, clientDll, "alice", "Buy milk");
        await laptop.WaitForLineAsync(line => line.StartsWith("Saved by the server at syncId ", StringComparison.Ordinal), "saying the server saved it", Step);
        await using LineProcess phone = LineProcess.Start(NewDirectory("phone"), clientEnvironment, clientDll, "alice");
        await phone.WaitForLineAsync(line => line == "alice's to-dos: Buy milk", "listing alice's to-do", Step);

        foreach (LineProcess client in new[] { laptop, phone })
        {
            await client.WriteLineAsync("");
            using var exit = new CancellationTokenSource(Step);
            Assert.Equal(0, await client.WaitForExitAsync(exit.Token));
        }
    }

    private async Task PackAsync()
    {
        await Dotnet.RunAsync(Repository.Root, Quiet,
            "pack", "Tether.Packages.slnf", "-c", "Release", "-o", Feed, $"-p:VersionSuffix={_suffix}");
    }

    private void AssertEveryPackageShipsWhatItShould()
    {
        foreach (string library in Libraries)
        {
            using (ZipArchive package = ZipFile.OpenRead(Path.Combine(Feed, $"{library}.{Version}.nupkg")))
            {
                string[] entries = [.. package.Entries.Select(e => e.FullName)];
                Assert.Contains("README.md", entries);
                Assert.Contains($"lib/net10.0/{library}.dll", entries);
                Assert.Contains($"lib/net10.0/{library}.xml", entries);
            }
            using ZipArchive symbols = ZipFile.OpenRead(Path.Combine(Feed, $"{library}.{Version}.snupkg"));
            Assert.Contains($"lib/net10.0/{library}.pdb", symbols.Entries.Select(e => e.FullName));
        }
        // The tether command, as a .NET tool.
        using ZipArchive tool = ZipFile.OpenRead(Path.Combine(Feed, $"Tether.Tool.{Version}.nupkg"));
        string[] toolEntries = [.. tool.Entries.Select(e => e.FullName)];
        Assert.Contains("tools/net10.0/any/Tether.Tool.dll", toolEntries);
        Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", toolEntries);
        Assert.Contains("README.md", toolEntries);
    }

    /// <summary>The feed first, the machine's own sources after it; packages go to a folder of this test's, with the
    /// machine's package folder as a read-only fallback so that the app's other dependencies are not fetched again.</summary>
    private void WriteNuGetConfig()
    {
        string machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(App, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_root, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="tether-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    private string NewDirectory(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static async Task WaitUntilHealthyAsync(Uri server, LineProcess process)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(5) };
        using var deadline = new CancellationTokenSource(Step);
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync("sync/health", deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
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
                break;
            }
            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        throw new TimeoutException($"The packaged server did not answer /sync/health within {Step}:\n{process.Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A process may still hold a file for a moment; the folder is under the temporary directory.
        }
    }
}
