namespace Tether.Packages.Tests.Harness;

/// <summary>The repository this test assembly was built from: the directory holding <c>Tether.slnx</c>.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tether.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Tether.slnx above {AppContext.BaseDirectory}; the packaging tests run from the repository's build output.");
    }
}
