using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Tether.Server.Internal.Auth;

/// <summary>Accepts <c>Bearer dev:&lt;userId&gt;</c>: anyone can be anyone, which is what a developer wants locally
/// and nobody wants in production (the server warns at startup when it is on).</summary>
internal sealed class DevelopmentTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = TetherAuthSchemes.BearerToken(Request);
        if (token is null || !token.StartsWith(TetherAuthSchemes.DevelopmentTokenPrefix, StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        string userId = token[TetherAuthSchemes.DevelopmentTokenPrefix.Length..];
        if (!UserIds.IsValid(userId))
        {
            return Task.FromResult(AuthenticateResult.Fail("A development token names a user id of 1 to 128 printable characters."));
        }
        var identity = new ClaimsIdentity([new Claim(TetherAuthSchemes.UserIdClaim, userId)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
