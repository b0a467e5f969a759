using System.Diagnostics;
using System.Text;

namespace Tether.Browser.Tests.Harness;

/// <summary>
/// <c>dotnet publish -c Release</c> of the issue tracker server, as it would be shipped: the browser app trimmed,
/// fingerprinted and compressed (Brotli and gzip) into its <c>wwwroot</c>. Published once per test run into a
/// temporary directory that is deleted when the run ends.
/// </summary>
public static class PublishedServer
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>The published <c>IssueTracker.Server.dll</c>.</summary>
    public static Task<string> DllAsync() => Published.Value;

    private static async Task<string> PublishAsync()
    {
        string output = Path.Combine(Path.GetTempPath(), "tether-published-" + Guid.NewGuid().ToString("N"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(output);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "publish", Path.Combine("samples", "IssueTracker", "IssueTracker.Server", "IssueTracker.Server.csproj"),
            "-c", "Release", "-o", output,
            // No build servers left running after the test run.
            "-nodeReuse:false", "-p:UseSharedCompilation=false",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var log = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(PublishTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish took longer than {PublishTimeout}:\n{Text(log)}");
        }

        string dll = Path.Combine(output, "IssueTracker.Server.dll");
        if (process.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"dotnet publish failed with exit code {process.ExitCode}:\n{Text(log)}");
        }
        return dll;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
