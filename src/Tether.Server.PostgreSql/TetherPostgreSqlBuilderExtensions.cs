using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql;

/// <summary>Makes PostgreSQL the Tether server's store.</summary>
public static class TetherPostgreSqlBuilderExtensions
{
    /// <summary>Stores records, the log and the clients in PostgreSQL; every node of a deployment points at the same
    /// database, and each node's live connections get the other nodes' commits through LISTEN/NOTIFY.</summary>
    public static ITetherServerBuilder UsePostgreSql(this ITetherServerBuilder builder, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new PostgreSqlStoreOptions { ConnectionString = connectionString };
        configure?.Invoke(options);
        builder.Services.AddSingleton(_ => new PostgreSqlTetherStore(options));
        builder.Services.AddSingleton<ITetherStore>(provider => provider.GetRequiredService<PostgreSqlTetherStore>());
        builder.Services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<PostgreSqlTetherStore>()
            .CreateBackgroundService(provider.GetRequiredService<ITetherCommitSignal>(), provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            "tether-sequencer", provider => provider.GetRequiredService<PostgreSqlTetherStore>().CreateHealthCheck(), failureStatus: null, tags: null));
        return builder;
    }
}
