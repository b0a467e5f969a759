using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Tether.Bench;

/// <summary>
/// The Loco Sync adapter (<c>clients/loco-sync</c>) catching up from a server filled with <c>issues</c> issues: its
/// eager bootstrap and its delta over the whole log, each against the same requests read raw by the same Node
/// process (<c>bench/loco-sync/catch-up.mjs</c>, which prints the table). Needs Node 20+ and the adapter built
/// (<c>npm install --no-audit --no-fund &amp;&amp; npm run build</c> in <c>clients/loco-sync</c>).
/// </summary>
internal static class LocoCatchUp
{
    public static async Task RunAsync(string directory, int issues)
    {
        string root = PublishedSample.RepositoryRoot();
        if (!File.Exists(Path.Combine(root, "clients", "loco-sync", "dist", "index.js")))
        {
            throw new InvalidOperationException("Build the adapter first: `npm install --no-audit --no-fund && npm run build` in clients/loco-sync.");
        }
        await using LoopbackServer server = await LoopbackServer.StartAsync(Path.Combine(directory, "loco-catch-up.db"), null);
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev:bench");
        await IssueSeeding.SeedAsync(http, issues);

        var info = new ProcessStartInfo("node") { WorkingDirectory = root, UseShellExecute = false };
        foreach (string argument in new[]
        {
            Path.Combine("bench", "loco-sync", "catch-up.mjs"),
            "--url", new Uri(server.Address, "/sync").ToString(), "--token", "dev:bench",
            "--records", IssueSeeding.RecordCount(issues).ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }
        using Process node = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        await node.WaitForExitAsync();
        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"catch-up.mjs failed ({node.ExitCode}).");
        }
    }
}
