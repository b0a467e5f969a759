using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal.Auth;

namespace Tether.Server.Internal.Http;

/// <summary>The checks every Tether request passes before its handler runs: who is calling, which protocol and
/// schema it speaks, and whether the caller is within its rate.</summary>
internal sealed class RequestGuard : IDisposable
{
    private readonly TetherServerOptions _options;
    private readonly PartitionedRateLimiter<string>? _limiter;

    public RequestGuard(IOptions<TetherServerOptions> options)
    {
        _options = options.Value;
        TetherLimits limits = _options.Limits;
        if (limits.RequestsPerSecond > 0)
        {
            _limiter = PartitionedRateLimiter.Create<string, string>(userId => RateLimitPartition.GetTokenBucketLimiter(userId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(limits.RequestBurst, 1),
                TokensPerPeriod = limits.RequestsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        }
    }

    /// <summary>Returns the calling user's id, or writes the error answer and returns null.</summary>
    public async Task<string?> AdmitAsync(HttpContext http)
    {
        ErrorBody? versionError = CheckVersions(http.Request);
        if (versionError is not null)
        {
            await ErrorResults.WriteAsync(http, versionError);
            return null;
        }
        string? userId = await AuthenticateAsync(http);
        if (userId is null)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Unauthorized, "A valid bearer token is required."));
            return null;
        }
        if (TryTake(userId) is { } retryAfter)
        {
            await ErrorResults.WriteAsync(http, ErrorResults.RateLimited, retryAfter);
            return null;
        }
        return userId;
    }

    /// <summary>Takes one request from the user's budget; returns the wait when there is none left.</summary>
    public TimeSpan? TryTake(string userId)
    {
        if (_limiter is null)
        {
            return null;
        }
        using RateLimitLease lease = _limiter.AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter) ? retryAfter : ErrorResults.RetryAfter;
    }


    /// <summary>The user of a bearer token that came some other way than the request's header or query (a
    /// front end whose client can only put it in a payload: LiveStore), or null when it is not valid.</summary>
    public async Task<string?> AuthenticateTokenAsync(HttpContext http, string token)
    {
        // The authentication handlers read the token from the request, so it is put there, but only while they read
        // it: nothing later (a log of the request, an error page) sees a header the client never sent.
        Microsoft.Extensions.Primitives.StringValues sent = http.Request.Headers.Authorization;
        http.Request.Headers.Authorization = "Bearer " + token;
        try
        {
            return await AuthenticateAsync(http);
        }
        finally
        {
            http.Request.Headers.Authorization = sent;
        }
    }

    private async Task<string?> AuthenticateAsync(HttpContext http)
    {
        string? token = TetherAuthSchemes.BearerToken(http.Request);
        if (token is null)
        {
            return null;
        }
        bool development = _options.DevelopmentTokens && token.StartsWith(TetherAuthSchemes.DevelopmentTokenPrefix, StringComparison.Ordinal);
        if (!development && _options.Jwt.Key is null)
        {
            return null;
        }
        AuthenticateResult result = await http.AuthenticateAsync(development ? TetherAuthSchemes.Development : TetherAuthSchemes.Jwt);
        string? userId = result.Succeeded ? result.Principal.FindFirst(TetherAuthSchemes.UserIdClaim)?.Value : null;
        if (!UserIds.IsValid(userId))
        {
            return null;
        }
        if (result.Principal!.FindFirst(TetherAuthSchemes.ExpiresClaim)?.Value is { } exp
            && long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            http.Features.Set(new TokenDeadline(DateTimeOffset.FromUnixTimeSeconds(seconds) + _options.Jwt.ClockSkew));
        }
        return userId;
    }

    private ErrorBody? CheckVersions(HttpRequest request)
    {
        string? protocol = HeaderOrQuery(request, ProtocolHeaders.Protocol, "protocol");
        if (protocol is not null && protocol != ProtocolHeaders.Version.ToString(CultureInfo.InvariantCulture))
        {
            return new ErrorBody(ErrorCodes.SchemaMismatch, $"Protocol version '{protocol}' is not spoken here.")
            {
                Supported = new VersionRange(ProtocolHeaders.Version, ProtocolHeaders.Version),
            };
        }
        string? schema = HeaderOrQuery(request, ProtocolHeaders.Schema, "schema");
        if (schema is null)
        {
            return null;
        }
        if (!int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || !_options.SupportedSchema.Contains(version))
        {
            return new ErrorBody(ErrorCodes.SchemaMismatch, $"Schema version '{schema}' is not supported by this server.")
            {
                Supported = _options.SupportedSchema,
            };
        }
        return null;
    }

    private static string? HeaderOrQuery(HttpRequest request, string header, string query)
    {
        string? value = request.Headers[header];
        if (string.IsNullOrEmpty(value))
        {
            value = request.Query[query];
        }
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public void Dispose() => _limiter?.Dispose();
}
