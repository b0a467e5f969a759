using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Fanout;

internal sealed partial class LogTailer
{
    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "The log was compacted up to {Horizon} while fan-out stood at {Position}; live connections were closed and resume by delta.")]
    private partial void LogCompactedPastTailer(long position, long horizon);

    [LoggerMessage(EventId = 13, Level = LogLevel.Critical, Message = "The database's head is {Head}, behind the {Position} already published: it was restored or failed over and lost commits. Live connections were closed; clients beyond the head bootstrap again.")]
    private partial void LogHeadMovedBack(long position, long head);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Reading the sync-action log failed; retrying from the same position.")]
    private partial void LogReadFailed(Exception exception);
}
