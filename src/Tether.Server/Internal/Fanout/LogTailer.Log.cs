using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Fanout;

internal sealed partial class LogTailer
{
    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "The log was compacted up to {Horizon} while fan-out stood at {Position}; live connections were closed and resume by delta.")]
    private partial void LogCompactedPastTailer(long position, long horizon);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Reading the sync-action log failed; retrying from the same position.")]
    private partial void LogReadFailed(Exception exception);
}
