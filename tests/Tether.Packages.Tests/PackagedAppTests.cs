using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Tether.Packages.Tests.Harness;

namespace Tether.Packages.Tests;

/// <summary>
/// The packages as a user meets them: <c>dotnet pack</c> of every library into a folder feed (<see cref="PackedFeed"/>,
/// once for the class), then the README's "Use Tether in your app", and the <c>tether-app</c> template, built outside
/// the repository from that feed alone, run, and synced between two clients.
/// </summary>
public sealed class PackagedAppTests(PackedFeed feed) : IClassFixture<PackedFeed>, IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(2);

    private static readonly string[] Libraries =
    [
        "Tether.Core", "Tether.Server", "Tether.Server.Sqlite", "Tether.Server.PostgreSql", "Tether.EntityFrameworkCore",
        "Tether.LiveStore", "Tether.Replicache", "Tether.Client", "Tether.Client.Sqlite", "Tether.Client.Browser",
    ];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "tether-packages-" + Guid.NewGuid().ToString("N"));

    private string App => Path.Combine(_root, "app");

    [Fact]
    public async Task The_READMEs_app_built_from_the_packed_packages_runs_and_syncs_two_clients()
    {
        Directory.CreateDirectory(App);
        WriteNuGetConfig();
        foreach (string[] command in ReadmeApp.Commands)
        {
            Assert.Equal("dotnet", command[0]);
            // The README adds the newest packages; here, the ones just packed.
            string[] arguments = command is [_, _, _, "package", _] ? [.. command[1..], "--version", feed.Version] : command[1..];
            await Dotnet.RunAsync(App, Dotnet.Quiet, arguments);
        }
        foreach ((string path, string text) in ReadmeApp.Files)
        {
            await File.WriteAllTextAsync(Path.Combine(App, path), text);
        }

        await RunAndSyncAsync(App);
    }

    [Fact]
    public async Task The_tether_app_template_makes_the_same_app_from_the_packed_packages_and_it_syncs()
    {
        // The template's files are the README's, so that neither drifts from the other.
        foreach ((string path, string text) in ReadmeApp.Files)
        {
            Assert.Equal(text, await File.ReadAllTextAsync(Path.Combine(Repository.Root, "templates", "Tether.Templates", "content", "tether-app", path)));
        }
        string hive = NewDirectory("template-hive");
        await Dotnet.RunAsync(_root, Dotnet.Quiet, "new", "install", Path.Combine(feed.Folder, $"Tether.Templates.{feed.Version}.nupkg"), "--debug:custom-hive", hive);
        await Dotnet.RunAsync(_root, Dotnet.Quiet, "new", "tether-app", "-o", App, "--debug:custom-hive", hive);
        WriteNuGetConfig();

        await RunAndSyncAsync(App);
    }

    [Fact]
    public void Every_package_ships_its_readme_docs_and_symbols_and_the_tool_packs_as_a_dotnet_tool()
    {
        foreach (string library in Libraries)
        {
            using (ZipArchive package = ZipFile.OpenRead(Path.Combine(feed.Folder, $"{library}.{feed.Version}.nupkg")))
            {
                string[] entries = [.. package.Entries.Select(e => e.FullName)];
                Assert.Contains("README.md", entries);
                Assert.Contains($"lib/net10.0/{library}.dll", entries);
                Assert.Contains($"lib/net10.0/{library}.xml", entries);
            }
            using ZipArchive symbols = ZipFile.OpenRead(Path.Combine(feed.Folder, $"{library}.{feed.Version}.snupkg"));
            Assert.Contains($"lib/net10.0/{library}.pdb", symbols.Entries.Select(e => e.FullName));
        }
        // The tether command, as a .NET tool.
        using ZipArchive tool = ZipFile.OpenRead(Path.Combine(feed.Folder, $"Tether.Tool.{feed.Version}.nupkg"));
        string[] toolEntries = [.. tool.Entries.Select(e => e.FullName)];
        Assert.Contains("tools/net10.0/any/Tether.Tool.dll", toolEntries);
        Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", toolEntries);
        Assert.Contains("README.md", toolEntries);
    }

    /// <summary>Builds the app in <paramref name="app"/> (TodoShared, TodoServer, TodoClient), runs the server, and
    /// checks that a to-do one client adds reaches a second client with a local copy of its own.</summary>
    private async Task RunAndSyncAsync(string app)
    {
        await Dotnet.RunAsync(app, Dotnet.Quiet, "build", "TodoServer", "-c", "Release");
        await Dotnet.RunAsync(app, Dotnet.Quiet, "build", "TodoClient", "-c", "Release");

        Uri server = new($"http://127.0.0.1:{FreePort()}/");
        var serverEnvironment = new Dictionary<string, string>(Dotnet.Quiet) { ["ASPNETCORE_ENVIRONMENT"] = "Development" };
        await using LineProcess todoServer = LineProcess.Start(Path.Combine(app, "TodoServer"), serverEnvironment,
            Path.Combine("bin", "Release", "net10.0", "TodoServer.dll"), "--urls", server.ToString().TrimEnd('/'));
        await WaitUntilHealthyAsync(server, todoServer);

        // One client adds a to-do and has it confirmed; a second, with a local copy of its own, receives it.
        var clientEnvironment = new Dictionary<string, string>(Dotnet.Quiet) { ["TODO_SYNC_URL"] = new Uri(server, "sync/").ToString() };
        string clientDll = Path.Combine(app, "TodoClient", "bin", "Release", "net10.0", "TodoClient.dll");
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
                <add key="tether-feed" value="{feed.Folder}" />
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

    public void Dispose() => PackedFeed.DeleteQuietly(_root);
}
