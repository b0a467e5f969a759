using Microsoft.Extensions.DependencyInjection;
using Tether.Server.Storage;

namespace Tether.Server.Sqlite;

/// <summary>Registers the embedded SQLite store on a Tether server.</summary>
public static class TetherSqliteBuilderExtensions
{
    /// <summary>Stores records, the log and the clients in the SQLite file at <paramref name="path"/> (created with
    /// its directory when missing); <paramref name="configure"/> may change the other <see cref="SqliteStoreOptions"/>.</summary>
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
