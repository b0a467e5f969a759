using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Tether.Client.Internal;
using Tether.Protocol;

namespace Tether.Client;

// The sync state machine: bootstrap when needed, connect, handshake, catch up by delta, follow the live stream;
// on any transient failure back off (exponential, with jitter) and start over from the local position.
public sealed partial class TetherClient
{
    private async Task RunSyncAsync(CancellationToken cancellationToken)
    {
        ResiliencePipeline retry = RetryPipeline("sync");
        try
        {
            while (true)
            {
                // One pipeline run per connection: the backoff grows while connecting fails and starts small again
                // once a connection went live. A stream that ended after being live reconnects after the shortest delay.
                // Without a network nothing is tried; losing it drops the connection, regaining it tries at once.
                CancellationToken online = await _network.WaitAvailableAsync(cancellationToken);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, online);
                try
                {
                    await retry.ExecuteAsync(SyncOnceAsync, attempt.Token);
                }
                catch (OperationCanceledException) when (online.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    SetStatus(ClientStatus.Offline);
                    continue;
                }
                SetStatus(ClientStatus.Offline);
                await Task.Delay(_options.MinRetryDelay, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            LogFailed(e);
            SetStatus(ClientStatus.Failed, e);
        }
    }

    /// <summary>Connects and follows the live stream; returns when a stream that went live ends, throws when the
    /// connection could not be established or failed before going live.</summary>
    private async ValueTask SyncOnceAsync(CancellationToken cancellationToken)
    {
        if (!_metadata.IsBootstrapped || _metadata.SchemaVersion != _options.SchemaVersion)
        {
            await EagerBootstrapAsync(cancellationToken);
        }
        ILiveChannel opened = await LiveChannels.OpenAsync(_api, _options, ClientId, cancellationToken);
        await using ILiveChannel channel = _options.WrapLiveChannel?.Invoke(opened) ?? opened;
        SetStatus(ClientStatus.CatchingUp);
        JsonElement handshake = await ReceiveAsync(channel, cancellationToken)
            ?? throw new IOException("The server closed the live stream before its handshake.");
        if (handshake.GetProperty("type").GetString() != FrameTypes.Handshake)
        {
            throw new InvalidDataException("The live stream did not start with a handshake.");
        }
        long head = handshake.GetProperty("lastSyncId").GetInt64();
        await ApplyGroupsAsync(ReadGroups(handshake), cancellationToken);
        await CatchUpAsync(head, cancellationToken);
        SetStatus(ClientStatus.Live);
        // Frames that arrived during the catch-up waited in the socket; the ones it already covered are skipped.
        while (await ReceiveAsync(channel, cancellationToken) is { } frame)
        {
            switch (frame.GetProperty("type").GetString())
            {
                case FrameTypes.Sync:
                    SyncFrame sync = frame.Deserialize(TetherJsonContext.Default.SyncFrame)!;
                    await ApplyFrameAsync(sync.LastSyncId, sync.Sync, cancellationToken);
                    break;
                case FrameTypes.Groups:
                    await ApplyGroupsAsync(ReadGroups(frame), cancellationToken);
                    break;
                case FrameTypes.Error:
                    ErrorBody error = frame.GetProperty("error").Deserialize(TetherJsonContext.Default.ErrorBody)!;
                    if (error.Code == ErrorCodes.Unauthorized)
                    {
                        // The connection's token expired: the next connection asks the token provider for a new one.
                        await _api.TokenAsync(refresh: true, cancellationToken);
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
        silence.CancelAfter(_options.LiveSilenceTimeout);
        try
        {
            return await channel.ReceiveAsync(silence.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The server sent nothing for {_options.LiveSilenceTimeout}.");
        }
    }

    private static string[] ReadGroups(JsonElement frame)
        => [.. frame.GetProperty("syncGroups").EnumerateArray().Select(g => g.GetString()!)];

    /// <summary>Delta from the local position to the handshake's head, page by page; a position the server can no
    /// longer catch up means an eager bootstrap instead.</summary>
    private async Task CatchUpAsync(long head, CancellationToken cancellationToken)
    {
        if (_metadata.LastSyncId > head)
        {
            await CheckPositionAsync(cancellationToken);
            return;
        }
        while (_metadata.LastSyncId < head)
        {
            DeltaResponse page;
            try
            {
                page = await _api.DeltaAsync(_metadata.LastSyncId, head, cancellationToken);
            }
            catch (ServerErrorException e) when (e.IsResyncRequired)
            {
                await EagerBootstrapAsync(cancellationToken);
                return;
            }
            await ApplyFrameAsync(page.LastSyncId, page.Sync, cancellationToken);
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
            await _api.DeltaAsync(_metadata.LastSyncId, _metadata.LastSyncId, cancellationToken);
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
        var held = new HashSet<string>(_metadata.SyncGroups, StringComparer.Ordinal);
        await SetUserGroupsAsync(now, cancellationToken);
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
        BootstrapDownload download;
        try
        {
            download = await _api.BootstrapAsync(new BootstrapRequest(BootstrapTypes.Lazy, _options.Models, added), Progress(), cancellationToken);
        }
        catch (ServerErrorException e) when (e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            // The group was taken away again before this frame was handled: a new connection brings the current groups.
            throw new IOException("The sync groups changed during a lazy bootstrap; reconnecting.", e);
        }
        await ApplyLazyBootstrapAsync(download, cancellationToken);
    }

    private async Task SetUserGroupsAsync(IReadOnlySet<string> groups, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _view.UserSyncGroups = groups;
        }
        finally
        {
            ReleaseGate();
        }
    }

    private async Task EagerBootstrapAsync(CancellationToken cancellationToken)
    {
        SetStatus(ClientStatus.Bootstrapping);
        BootstrapDownload download = await _api.BootstrapAsync(new BootstrapRequest(BootstrapTypes.Eager, _options.Models), Progress(), cancellationToken);
        await ApplyEagerBootstrapAsync(download, cancellationToken);
    }

    /// <summary>Reports rows as they arrive, on the sync loop, to whoever listens at that moment.</summary>
    private Reporter Progress() => new(rows => Raise(BootstrapProgress, rows));

    private sealed class Reporter(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    /// <summary>Retries transient failures for ever with exponential backoff and jitter; the status says Offline
    /// meanwhile. A failure retrying cannot fix (schema mismatch, a refused request) ends the loop.</summary>
    private ResiliencePipeline RetryPipeline(string loop)
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.MinRetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ServerErrorException { RetryAfter: { } after } ? after : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetrying(loop, args.AttemptNumber, args.RetryDelay, args.Outcome.Exception?.Message);
                    if (loop == "sync")
                    {
                        SetStatus(ClientStatus.Offline, args.Outcome.Exception);
                    }
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    private bool IsTransient(Exception e) => e switch
    {
        OperationCanceledException => !_stop.IsCancellationRequested,
        ServerErrorException server => server.IsTransient || server.Status == System.Net.HttpStatusCode.Unauthorized || server.IsResyncRequired,
        // SocketException: HttpClient lets one through unwrapped when a connection dies while being opened (found by
        // the convergence property during server restarts).
        HttpRequestException or IOException or WebSocketException or System.Net.Sockets.SocketException
            or JsonException or InvalidDataException or TimeoutException => true,
        _ => false,
    };
}
