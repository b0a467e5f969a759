using Microsoft.AspNetCore.Http;
using Tether.Protocol;
using Tether.Server.Internal.Auth;

namespace Tether.Server.Internal.Http;

/// <summary>The optional <c>clientId</c> of a live or SSE connection, whose acks the connection carries.</summary>
internal static class ClientIdQuery
{
    public static readonly ErrorBody Invalid = new(ErrorCodes.BadRequest, "clientId has 1 to 128 printable characters.");

    /// <summary>False when a clientId was given but is not a valid one.</summary>
    public static bool TryRead(HttpRequest request, out string? clientId)
    {
        clientId = request.Query["clientId"];
        return clientId is null || UserIds.IsValid(clientId);
    }
}
