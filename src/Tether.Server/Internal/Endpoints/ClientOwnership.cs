using Tether.Protocol;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary>A clientId belongs to the user who first pushed with it. Live and SSE connections name one to receive its
/// acks, so a connection may not name another user's client (push refuses it the same way).</summary>
internal static class ClientOwnership
{
    public static async Task<ErrorBody?> CheckAsync(ITetherStore store, string? clientId, string userId, CancellationToken cancellationToken)
    {
        if (clientId is null)
        {
            return null;
        }
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(cancellationToken);
        ClientState? client = await snapshot.GetClientAsync(clientId, cancellationToken);
        return client is not null && client.UserId != userId
            ? new ErrorBody(ErrorCodes.Forbidden, "This clientId belongs to another user.")
            : null;
    }
}
