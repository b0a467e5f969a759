using Polly;
using Polly.Retry;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Pipeline;

/// <summary>How the writer runs again a commit that lost to a concurrent writer (<see cref="WriteConflictException"/>):
/// up to <see cref="Attempts"/> attempts in all, after a jittered exponential backoff from 2 ms, so that two writers
/// that collided do not collide again in step. Any other failure is not retried here.</summary>
internal static class ConflictRetries
{
    public const int Attempts = 5;

    /// <summary>A conflict, thrown by the commit or by a read the mutations made.</summary>
    public static bool IsConflict(Exception? failure)
        => failure is WriteConflictException or StoreFailureException { InnerException: WriteConflictException };

    /// <summary>Runs an attempt that reports its failure in its result (<paramref name="failureOf"/>) until it does
    /// not conflict or the attempts are used up; the last attempt's result is returned either way.</summary>
    public static ResiliencePipeline<T> Pipeline<T>(Func<T, Exception?> failureOf) => new ResiliencePipelineBuilder<T>()
        .AddRetry(new RetryStrategyOptions<T>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { } result && IsConflict(failureOf(result))),
            MaxRetryAttempts = Attempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(2),
        })
        .Build();
}
