using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Tether.Client.Internal;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>The sync state machine: bootstrap when needed, connect, handshake, catch up by delta, follow the live
/// stream; on any transient failure back off (exponential, with jitter) and start over from the local position.</summary>
internal sealed class SyncLoop(ClientState state, Applier applier, ServerApi api, ClientEvents events, NetworkGate network, TetherClientOptions options, CancellationToken stopping)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ResiliencePipeline retry = Retries.Pipeline("sync", options, events, stopping);
        try
        {
            while (true)
            {
                // One pipeline run per connection: the backoff grows while connecting fails and starts small again
                // once a connection went live. A stream that ended after being live reconnects after the shortest delay.
                // Without a network nothing is tried; losing it drops the connection, regaining it tries at once.
                CancellationToken online = await network.WaitAvailableAsync(cancellationToken);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, online);
                try
                {
                    await retry.ExecuteAsync(SyncOnceAsync, attempt.Token);
                }
                catch (OperationCanceledException) when (online.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    events.SetStatus(ClientStatus.Offline);
                    continue;
                }
                events.SetStatus(ClientStatus.Offline);
                await Task.Delay(options.MinRetryDelay, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            ClientLog.Failed(events.Logger, e);
            events.SetStatus(ClientStatus.Failed, e);
        }
    }

    /// <summary>Connects and follows the live stream; returns when a stream that went live ends, throws when the
    /// connection could not be established or failed before going live.</summary>
    private async ValueTask SyncOnceAsync(CancellationToken cancellationToken)
    {
        if (!state.Metadata.IsBootstrapped || state.Metadata.SchemaVersion != options.SchemaVersion)
        {
            await EagerBootstrapAsync(cancellationToken);
        }
        ILiveChannel opened = await LiveChannels.OpenAsync(api, options, state.Metadata.ClientId!, cancellationToken);
        await using ILiveChannel channel = options.WrapLiveChannel?.Invoke(opened) ?? opened;
        events.SetStatus(ClientStatus.CatchingUp);
        JsonElement handshake = await ReceiveAsync(channel, cancellationToken)
            ?? throw new IOException("The server closed the live stream before its handshake.");
        if (handshake.GetProperty("type").GetString() != FrameTypes.Handshake)
        {
            throw new InvalidDataException("The live stream did not start with a handshake.");
        }
        long head = handshake.GetProperty("lastSyncId").GetInt64();
        await ApplyGroupsAsync(ReadGroups(handshake), cancellationToken);
        await CatchUpAsync(head, cancellationToken);
        events.SetStatus(ClientStatus.Live);
        // Frames that arrived during the catch-up waited in the socket; the ones it already covered are skipped.
        while (await ReceiveAsync(channel, cancellationToken) is { } frame)
        {
            switch (frame.GetProperty("type").GetString())
            {
                case FrameTypes.Sync:
                    SyncFrame sync = frame.Deserialize(TetherJsonContext.Default.SyncFrame)!;
                    await applier.ApplyFrameAsync(sync.LastSyncId, sync.Sync, cancellationToken);
                    break;
                case FrameTypes.Groups:
                    await ApplyGroupsAsync(ReadGroups(frame), cancellationToken);
                    break;
                case FrameTypes.Error:
                    ErrorBody error = frame.GetProperty("error").Deserialize(TetherJsonContext.Default.ErrorBody)!;
                    if (error.Code == ErrorCodes.Unauthorized)
                    {
                        // The connection's token expired: the next connection asks the token provider for a new one.
                        await api.TokenAsync(refresh: true, cancellationToken);
                    }
                    throw new ServerErrorException(error.Code switch
                    {
                        ErrorCodes.ResyncRequired => System.Net.HttpStatusCode.Gone,
                        ErrorCodes.Unauthorized => System.Net.HttpStatusCode.Unauthorized,
                        _ => System.Net.HttpStatusCode.ServiceUnavailable,
                    }, error, null);
            }
        }
    }

    /// <summary>The next frame, or a <see cref="TimeoutException"/> when the server has been silent for longer than
    /// its heartbeats allow: a half-open connection (sleep, network change) is noticed and replaced.</summary>
    private async ValueTask<JsonElement?> ReceiveAsync(ILiveChannel channel, CancellationToken cancellationToken)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silence.CancelAfter(options.LiveSilenceTimeout);
        try
        {
            return await channel.ReceiveAsync(silence.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The server sent nothing for {options.LiveSilenceTimeout}.");
        }
    }

    private static string[] ReadGroups(JsonElement frame)
        => [.. frame.GetProperty("syncGroups").EnumerateArray().Select(g => g.GetString()!)];

    /// <summary>Delta from the local position to the handshake's head, page by page; a position the server can no
    /// longer catch up means an eager bootstrap instead.</summary>
    private async Task CatchUpAsync(long head, CancellationToken cancellationToken)
    {
        if (state.Metadata.LastSyncId > head)
        {
            await CheckPositionAsync(cancellationToken);
            return;
        }
        while (state.Metadata.LastSyncId < head)
        {
            DeltaResponse page;
            try
            {
                page = await api.DeltaAsync(state.Metadata.LastSyncId, head, cancellationToken);
            }
            catch (ServerErrorException e) when (e.IsResyncRequired)
            {
                await EagerBootstrapAsync(cancellationToken);
                return;
            }
            await applier.ApplyFrameAsync(page.LastSyncId, page.Sync, cancellationToken);
            if (!page.HasMore)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The stream starts before the data held here. Either this node's fan-out trails the latest commit (it catches
    /// up, and the frames this client already has are skipped), or the database lost commits this client holds: it
    /// was restored from a backup or failed over to a replica that lagged. The store knows which: it answers a delta
    /// from beyond its head with resync_required, and the data is then bootstrapped again.
    /// </summary>
    private async Task CheckPositionAsync(CancellationToken cancellationToken)
    {
        try
        {
            await api.DeltaAsync(state.Metadata.LastSyncId, state.Metadata.LastSyncId, cancellationToken);
        }
        catch (ServerErrorException e) when (e.IsResyncRequired)
        {
            await EagerBootstrapAsync(cancellationToken);
        }
    }

    /// <summary>New groups are fetched by lazy bootstrap; losing a group means its data must go, which an eager
    /// bootstrap does (pending mutations stay).</summary>
    private async Task ApplyGroupsAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var now = new HashSet<string>(groups, StringComparer.Ordinal);
        var held = new HashSet<string>(state.Metadata.SyncGroups, StringComparer.Ordinal);
        await applier.SetUserGroupsAsync(now, cancellationToken);
        if (held.Except(now).Any())
        {
            await EagerBootstrapAsync(cancellationToken);
            return;
        }
        string[] added = [.. now.Except(held).Order(StringComparer.Ordinal)];
        if (added.Length == 0)
        {
            return;
        }
        BootstrapStream download;
        try
        {
            download = await api.BootstrapAsync(new BootstrapRequest(BootstrapTypes.Lazy, options.Models, added), cancellationToken);
        }
        catch (ServerErrorException e) when (e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            // The group was taken away again before this frame was handled: a new connection brings the current groups.
            throw new IOException("The sync groups changed during a lazy bootstrap; reconnecting.", e);
        }
        await using (download)
        {
            await applier.ApplyBootstrapAsync(download, eager: false, Progress(), cancellationToken);
        }
    }

    private async Task EagerBootstrapAsync(CancellationToken cancellationToken)
    {
        events.SetStatus(ClientStatus.Bootstrapping);
        await using BootstrapStream download = await api.BootstrapAsync(new BootstrapRequest(BootstrapTypes.Eager, options.Models), cancellationToken);
        await applier.ApplyBootstrapAsync(download, eager: true, Progress(), cancellationToken);
    }

    /// <summary>Reports rows as they arrive, on the sync loop, to whoever listens at that moment.</summary>
    private Reporter Progress() => new(rows => events.Raise(events.BootstrapProgress, rows));

    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
