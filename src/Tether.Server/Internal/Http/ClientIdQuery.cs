using Microsoft.AspNetCore.Http;
using Tether.Protocol;
using Tether.Server.Internal.Auth;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Http;

/// <summary>The optional <c>clientId</c> of a live or SSE connection, whose acks the connection carries. A clientId
/// belongs to the user who first pushed with it, so a connection may not name another user's client (push refuses
/// it the same way).</summary>
internal static class ClientIdQuery
{
    /// <summary>The clientId (or null when none was given), or the error to answer with.</summary>
    public static async Task<(string? ClientId, ErrorBody? Error)> ReadAsync(HttpRequest request, ITetherStore store, string userId, CancellationToken cancellationToken)
    {
        string? clientId = request.Query["clientId"];
        if (clientId is null)
        {
            return (null, null);
        }
        if (!ClientIds.IsValid(clientId))
        {
            return (null, new ErrorBody(ErrorCodes.BadRequest, ClientIds.Rule));
        }
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken);
        ClientState? client = await snapshot.GetClientAsync(clientId, cancellationToken);
        return client is not null && client.UserId != userId
            ? (null, new ErrorBody(ErrorCodes.Forbidden, "This clientId belongs to another user."))
            : (clientId, null);
    }
}
