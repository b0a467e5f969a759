using System.Diagnostics;
using Tether.Server.Tests.Harness;

namespace Tether.Server.Tests;

/// <summary>The <c>tether</c> tool as a process of its own against a real server: every command, what it prints, and a
/// clear one-line failure with exit code 1 for a user who is no admin.</summary>
public sealed class ToolTests
{
    private static TestServerSettings WithAdmin => new() { Tether = o => o.Admins.Add("root") };

    [Fact]
    public async Task Status_log_groups_clients_and_compact_show_the_servers_state()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);
        using SyncApi alice = server.Api("alice");
        var seed = new Seed(alice, "a1");
        await seed.TeamWithProjectAsync("t1", "p1");
        long head = await seed.IssueAsync("i1", "p1", "Tool issue");

        (int code, string output) = await TetherAsync(server, "dev:root", "status");
        Assert.Equal(0, code);
        Assert.Matches($@"head\s*│\s*{head}\b", output);

        (code, output) = await TetherAsync(server, "dev:root", "log", "--limit", "1", "--model", "issue");
        Assert.Equal(0, code);
        Assert.Contains("i1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("p1", output, StringComparison.Ordinal);

        (code, output) = await TetherAsync(server, "dev:root", "groups", "alice");
        Assert.Equal(0, code);
        Assert.Contains("team:t1", output, StringComparison.Ordinal);

        (code, output) = await TetherAsync(server, "dev:root", "clients");
        Assert.Equal(0, code);
        Assert.Contains("0 open connection(s)", output, StringComparison.Ordinal);

        (code, output) = await TetherAsync(server, "dev:root", "compact", "--up-to", (head - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, code);
        Assert.Contains($"horizon {head - 1}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_who_is_no_admin_gets_the_servers_refusal_in_one_line_and_exit_code_1()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);

        (int code, string output) = await TetherAsync(server, "dev:alice", "status");

        Assert.Equal(1, code);
        Assert.Contains("The server answered 403: This user is not an admin of this server (Tether:Admins). (forbidden)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_with_arguments_that_are_not_a_JSON_object_says_so_in_one_line_and_exits_1()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);

        (int notJson, string notJsonOutput) = await TetherAsync(server, "", "load", "--seconds", "1", "--args", "{not json");
        (int notObject, string notObjectOutput) = await TetherAsync(server, "", "load", "--seconds", "1", "--args", "[1]");

        Assert.Equal(1, notJson);
        Assert.StartsWith("--args is not JSON: ", notJsonOutput, StringComparison.Ordinal);
        Assert.Equal(1, notObject);
        Assert.StartsWith("--args must be a JSON object.", notObjectOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_pushes_from_many_clients_and_reports_pushes_per_second_and_latency()
    {
        await using TestServer server = await TestServer.StartAsync(WithAdmin);

        (int code, string output) = await TetherAsync(server, "", "load", "--clients", "4", "--seconds", "2", "--users", "2");

        Assert.Equal(0, code);
        Assert.Contains("pushes/s", output, StringComparison.Ordinal);
        // Read as another user: the load's own users may have spent their request rate.
        using SyncApi root = server.Api("root");
        using HttpResponseMessage log = await root.Http.GetAsync("/sync/admin/log?limit=1", TestContext.Current.CancellationToken);
        string body = await log.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"clientId\":\"load-", body, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> TetherAsync(TestServer server, string token, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tether.Tool.dll"));
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["TETHER_SERVER"] = new Uri(server.BaseAddress, "/sync/").ToString();
        info.Environment["TETHER_TOKEN"] = token;
        // Wide enough that no table cell wraps.
        info.Environment["COLUMNS"] = "240";
        using Process process = Process.Start(info)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await output + await error);
    }
}
