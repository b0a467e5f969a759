using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Tether.Server.Internal.Auth;

/// <summary>Configures the Tether JWT scheme from <see cref="TetherServerOptions.Jwt"/>.</summary>
internal sealed class JwtBearerSetup(IOptions<TetherServerOptions> tether) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != TetherAuthSchemes.Jwt)
        {
            return;
        }
        TetherJwtOptions jwt = tether.Value.Jwt;
        options.MapInboundClaims = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuerSigningKey = true,
            IssuerSigningKey = jwt.Key is null ? null : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.Key)),
            ValidateIssuer = jwt.Issuer is not null,
            ValidIssuer = jwt.Issuer,
            ValidateAudience = jwt.Audience is not null,
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            ClockSkew = jwt.ClockSkew,
            NameClaimType = TetherAuthSchemes.UserIdClaim,
        };
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                context.Token = TetherAuthSchemes.BearerToken(context.Request);
                return Task.CompletedTask;
            },
        };
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);
}
