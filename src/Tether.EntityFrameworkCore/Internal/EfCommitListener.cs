using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Server.PostgreSql;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>On PostgreSQL, runs the built-in store's commit listener, as <c>UsePostgreSql</c> would: this node's live
/// connections then get the other nodes' commits at once. Started after the store was initialized.</summary>
internal sealed class EfCommitListener<TDb>(EfTetherStore<TDb> store, ITetherCommitSignal commits, ILoggerFactory loggers) : IHostedService
    where TDb : DbContext
{
    private IHostedService? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store.Inner is PostgreSqlTetherStore postgres)
        {
            _listener = postgres.CreateBackgroundService(commits, loggers);
            return _listener.StartAsync(cancellationToken);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
