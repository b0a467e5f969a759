using System.Net.WebSockets;
using System.Text.Json;
using Polly;
using Polly.Retry;

namespace Tether.Client.Internal;

internal static class Retries
{
    /// <summary>Retries transient failures for ever with exponential backoff and jitter; the status says Offline
    /// meanwhile. A failure retrying cannot fix (schema mismatch, a refused request) ends the loop.</summary>
    public static ResiliencePipeline Pipeline(string loop, TetherClientOptions options, ClientEvents events, CancellationToken stopping)
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e, stopping)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.MinRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ServerErrorException { RetryAfter: { } after } ? after : (TimeSpan?)null),
                OnRetry = args =>
                {
                    ClientLog.Retrying(events.Logger, loop, args.AttemptNumber, args.RetryDelay, args.Outcome.Exception?.Message);
                    if (loop == "sync")
                    {
                        events.SetStatus(ClientStatus.Offline, args.Outcome.Exception);
                    }
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    private static bool IsTransient(Exception e, CancellationToken stopping) => e switch
    {
        OperationCanceledException => !stopping.IsCancellationRequested,
        ServerErrorException server => server.IsTransient || server.Status == System.Net.HttpStatusCode.Unauthorized || server.IsResyncRequired,
        // SocketException: HttpClient lets one through unwrapped when a connection dies while being opened (found by
        // the convergence property during server restarts).
        HttpRequestException or IOException or WebSocketException or System.Net.Sockets.SocketException
            or JsonException or InvalidDataException or TimeoutException => true,
        _ => false,
    };
}
