using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Server.Storage;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>A PostgreSQL store that runs its background service (commit listener, sequencer election, slot monitor)
/// from its initialization to its disposal, as a node of a server does: without it no commit is ever sequenced.</summary>
internal sealed class SequencedStore(PostgreSqlTetherStore store) : ITetherStore
{
    private IHostedService? _background;

    public PostgreSqlTetherStore Inner => store;

    public int Writers => store.Writers;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        _background = store.CreateBackgroundService(new NoSignal(), NullLoggerFactory.Instance);
        await _background.StartAsync(cancellationToken);
    }

    public ValueTask<ITetherWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken) => store.BeginWriteAsync(cancellationToken);

    public ValueTask<ITetherReadSnapshot> BeginReadAsync(CancellationToken cancellationToken) => store.BeginReadAsync(cancellationToken);

    public ValueTask<ITetherReadSnapshot> BeginLogReadAsync(CancellationToken cancellationToken) => store.BeginLogReadAsync(cancellationToken);

    public Task CompactAsync(long upToSyncId, CancellationToken cancellationToken) => store.CompactAsync(upToSyncId, cancellationToken);

    public ValueTask<long> SyncIdAtAsync(DateTimeOffset time, CancellationToken cancellationToken) => store.SyncIdAtAsync(time, cancellationToken);

    public bool RunsMaintenance => store.RunsMaintenance;

    public async ValueTask DisposeAsync()
    {
        if (_background is not null)
        {
            await _background.StopAsync(CancellationToken.None);
            (_background as IDisposable)?.Dispose();
        }
        await store.DisposeAsync();
    }

    private sealed class NoSignal : ITetherCommitSignal
    {
        public void NotifyCommitted()
        {
        }
    }
}
