using Microsoft.Extensions.Logging;

namespace Tether.Client;

public sealed partial class TetherClient
{
    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "An event handler of the app threw; the client goes on.")]
    private partial void LogHandlerFailed(Exception exception);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Tether client status: {Status}.")]
    private partial void LogStatus(ClientStatus status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Tether client {Loop} loop: attempt {Attempt} failed ({Reason}); retrying in {Delay}.")]
    private partial void LogRetrying(string loop, int attempt, TimeSpan delay, string? reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Tether client stopped syncing: a failure retrying cannot fix.")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "The server expects mutation id {First} but the queue starts at {Last}+1; consuming the missing ids.")]
    private partial void LogSkippingIds(long first, long last);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "The app says the network is available: {Available}.")]
    private partial void LogNetworkChanged(bool available);
}
