using Microsoft.Extensions.Logging;

namespace Tether.Server.Internal;

internal sealed partial class TetherInitializer
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Tether accepts development tokens ('Bearer dev:<userId>'): anyone can act as any user. Never enable this in production.")]
    private partial void LogDevelopmentTokens();

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Tether has neither development tokens nor a JWT key (Tether:Jwt:Key): every request will be refused as unauthorized.")]
    private partial void LogNoAuthentication();
}
