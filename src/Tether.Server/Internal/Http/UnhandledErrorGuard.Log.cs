using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Http;

internal sealed partial class UnhandledErrorGuard
{
    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Unhandled error in Tether endpoint {Path}.")]
    private partial void LogUnhandled(Exception exception, string path);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "The store failed during Tether endpoint {Path}; answered 503.")]
    private partial void LogStoreUnavailable(Exception exception, string path);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "The client's request to Tether endpoint {Path} was refused while it was read ({Status}: {Reason}).")]
    private partial void LogBadRequest(string path, int status, string reason);
}
