using Microsoft.Extensions.DependencyInjection;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite;

public static class TetherSqliteBuilderExtensions
{
    /// <summary>Stores records, the log and the clients in the SQLite file at <paramref name="path"/>.</summary>
    public static ITetherServerBuilder UseSqlite(this ITetherServerBuilder builder, string path, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        var options = new SqliteStoreOptions { Path = path };
        configure?.Invoke(options);
        builder.Services.AddSingleton<ITetherStore>(_ => new SqliteTetherStore(options));
        return builder;
    }
}
