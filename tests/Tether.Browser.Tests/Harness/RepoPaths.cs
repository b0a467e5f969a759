using System.Reflection;

namespace Tether.Browser.Tests.Harness;

/// <summary>Where the repository's files and build outputs are, found from the test assembly's location.</summary>
public static class RepoPaths
{
    /// <summary>The directory holding <c>Tether.slnx</c>, searched upwards from the test output directory.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration this test assembly was built with (the server is built with the same).</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The browser store's JavaScript module, as shipped in the library's wwwroot.</summary>
    public static string IndexedDbModule => Path.Combine(Root, "src", "Tether.Client.Browser", "wwwroot", "tether-idb.js");

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; the browser tests run from the repository's build output.");
    }
}
