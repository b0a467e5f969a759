using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Pipeline;

internal sealed partial class MutationPipeline
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "A group-commit batch of {PushCount} pushes failed; all were answered 503 and nothing was written.")]
    private partial void LogBatchFailed(Exception exception, int pushCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Mutator '{Name}' (or the group resolver) threw on mutation {MutationId} of client {ClientId}; the mutation was rejected as internal.")]
    private partial void LogMutatorFailed(Exception exception, string name, long mutationId, string clientId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "A front end's unit of work for user {UserId} threw; it was rejected as internal and nothing of it was written.")]
    private partial void LogUnitFailed(Exception exception, string userId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The database refused the {ModelName} '{Id}' for good; the mutation that wrote it was rejected as invalid_args and the others of its batch were committed.")]
    private partial void LogRecordRefused(Exception exception, string modelName, string id);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "A write of user {UserId} lost to concurrent writers in {Attempts} attempts; it was answered 503 (what committed before it stays).")]
    private partial void LogConflictsExhausted(Exception exception, string userId, int attempts);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "A committed batch was not given its syncIds; its pushes were answered 503 and their retries are answered as duplicates.")]
    private partial void LogNotSequenced(Exception exception);
}
