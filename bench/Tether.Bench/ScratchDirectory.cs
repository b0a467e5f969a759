namespace Tether.Bench;

/// <summary>A fresh directory under the system temp folder for one scenario's files, deleted with them afterwards;
/// SQLite's pooled connections are closed first, so that none holds a file of it open.</summary>
internal static class ScratchDirectory
{
    public static async Task RunAsync(Func<string, Task> scenario)
    {
        string directory = Path.Combine(Path.GetTempPath(), "tether-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await scenario(directory);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
