using Tether.Packages.Tests.Harness;

namespace Tether.Packages.Tests;

/// <summary><c>dotnet pack Tether.Packages.slnf</c> into a folder of its own, once for the tests that use it, under a
/// version no earlier run used, so that no package cache can hand back an older build under the same number.</summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tether-feed-" + Guid.NewGuid().ToString("N"));
    private readonly string _suffix = "test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public string Folder => Path.Combine(_root, "feed");

    public string Version => "0.1.0-" + _suffix;

    public async ValueTask InitializeAsync()
        => await Dotnet.RunAsync(Repository.Root, Dotnet.Quiet, "pack", "Tether.Packages.slnf", "-c", "Release", "-o", Folder, $"-p:VersionSuffix={_suffix}");

    public ValueTask DisposeAsync()
    {
        DeleteQuietly(_root);
        return ValueTask.CompletedTask;
    }

    /// <summary>Deletes a folder of the temporary directory; a process that still holds a file for a moment leaves it
    /// to the system's clean-up instead of failing the run.</summary>
    public static void DeleteQuietly(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory, as said above.
        }
    }
}
