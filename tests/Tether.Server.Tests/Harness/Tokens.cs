using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tether.Server.Tests.Harness;

/// <summary>Signed JWTs as a real sign-in would issue them, for servers that accept only those.</summary>
public static class Tokens
{
    public const string Key = "a-test-signing-key-of-at-least-32-bytes!";

    /// <summary>A server that accepts only JWTs signed with <see cref="Key"/>, with no clock skew, so a token stops
    /// being accepted exactly at its <c>exp</c>.</summary>
    public static TestServerSettings JwtOnlyServer() => new()
    {
        Tether = o =>
        {
            o.DevelopmentTokens = false;
            o.Jwt.Key = Key;
            o.Jwt.ClockSkew = TimeSpan.Zero;
        },
    };

    public static string Jwt(string userId, DateTimeOffset expires, string key = Key, string? issuer = null)
        => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object> { ["sub"] = userId },
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });

    /// <summary>The <c>exp</c> a token made by <see cref="Jwt"/> carries: whole seconds, rounded down.</summary>
    public static DateTimeOffset ExpOf(DateTimeOffset expires) => DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds());
}
