using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal;

internal sealed partial class LogRetention
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Retention compacted the log from horizon {From} to {To} (head {Head}).")]
    private partial void LogCompacted(long from, long to, long head);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "A round of log retention failed; the next one tries again.")]
    private partial void LogRoundFailed(Exception exception);
}
