using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Http;

internal sealed partial class UnhandledErrorGuard
{
    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Unhandled error in Tether endpoint {Path}.")]
    private partial void LogUnhandled(Exception exception, string path);
}
