using Microsoft.Extensions.Logging;

namespace Tether.Client.Internal;

internal static partial class ClientLog
{
    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "An event handler of the app threw; the client goes on.")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Tether client status: {Status}.")]
    public static partial void Status(ILogger logger, ClientStatus status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Tether client {Loop} loop: attempt {Attempt} failed ({Reason}); retrying in {Delay}.")]
    public static partial void Retrying(ILogger logger, string loop, int attempt, TimeSpan delay, string? reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Tether client stopped syncing: a failure retrying cannot fix.")]
    public static partial void Failed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "The server expects mutation id {First} but the queue starts at {Last}+1; consuming the missing ids.")]
    public static partial void SkippingIds(ILogger logger, long first, long last);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "The app says the network is available: {Available}.")]
    public static partial void NetworkChanged(ILogger logger, bool available);
}
