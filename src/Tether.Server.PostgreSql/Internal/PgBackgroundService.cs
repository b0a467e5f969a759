using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Server.PostgreSql.Internal.Sequencing;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Internal;

/// <summary>What the store runs on every node: the commit listener, the sequencer's election loop and the slot
/// monitor. They start and stop together.</summary>
internal sealed class PgBackgroundService : IHostedService, IDisposable
{
    private readonly IReadOnlyList<BackgroundService> _services;

    public PgBackgroundService(PostgreSqlTetherStore store, ITetherCommitSignal commits, ILoggerFactory loggers)
    {
        var listener = new PgCommitListener(store, commits, loggers.CreateLogger<PgCommitListener>());
        _services = [listener, new PgSequencer(store, loggers.CreateLogger<PgSequencer>()), new PgSlotMonitor(store, loggers.CreateLogger<PgSlotMonitor>())];
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (BackgroundService service in _services)
        {
            await service.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
        => Task.WhenAll(_services.Select(s => s.StopAsync(cancellationToken)));

    public void Dispose()
    {
        foreach (BackgroundService service in _services)
        {
            service.Dispose();
        }
    }
}
