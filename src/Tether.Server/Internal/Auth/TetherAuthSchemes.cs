namespace Tether.Server.Internal.Auth;

internal static class TetherAuthSchemes
{
    public const string Development = "Tether.Development";
    public const string Jwt = "Tether.Jwt";
    public const string DevelopmentTokenPrefix = "dev:";
    public const string UserIdClaim = "sub";
    public const string ExpiresClaim = "exp";
    public const string AccessTokenQuery = "access_token";

    /// <summary>The bearer token of a request: the Authorization header, or <c>?access_token=</c> for the
    /// transports a browser cannot put headers on (WebSocket, EventSource).</summary>
    public static string? BearerToken(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        string? query = request.Query[AccessTokenQuery];
        return string.IsNullOrEmpty(query) ? null : query;
    }
}
