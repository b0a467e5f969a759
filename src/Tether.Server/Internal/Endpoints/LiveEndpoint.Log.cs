using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal.Endpoints;

internal sealed partial class LiveEndpoint
{
    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "A live connection of user {UserId} failed.")]
    private partial void LogConnectionFailed(Exception exception, string userId);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "A live client sent a frame of unknown type '{Type}'.")]
    private partial void LogUnknownFrame(string? type);
}
