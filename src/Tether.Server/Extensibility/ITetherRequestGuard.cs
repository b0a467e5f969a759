using Microsoft.AspNetCore.Http;
using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>
/// The checks every request of every front end passes, and the limits on its connections: the same bearer tokens,
/// protocol and schema checks, per-user request rate and per-user connection count as Tether's own endpoints, so a
/// user's budget is one whatever front end it uses.
/// </summary>
public interface ITetherRequestGuard
{
    /// <summary>Checks the request's protocol and schema versions, its bearer token and the user's request rate;
    /// returns the user's id, or writes the error answer (400/401/409/429) and returns null.</summary>
    Task<string?> AdmitAsync(HttpContext http);

    /// <summary>The user of a bearer token that came some other way than the request's header or query (a client
    /// that can only put it in a payload); null when it is not valid. Like <see cref="AdmitAsync"/>, it sets the
    /// deadline <see cref="WatchTokenExpiry"/> watches.</summary>
    Task<string?> AuthenticateTokenAsync(HttpContext http, string token);

    /// <summary>Takes one request from the user's rate budget; null when taken, otherwise how long to wait
    /// (answer <see cref="ErrorResults.RateLimited"/>).</summary>
    TimeSpan? TryTakeRequest(string userId);

    /// <summary>Takes a place for one more long-lived connection of the user (counted across all front ends); null
    /// when the user holds the most allowed (answer <see cref="TooManyConnections"/>). Disposing it frees the place.</summary>
    IDisposable? TryOpenConnection(string userId);

    /// <summary>The error for a connection refused by <see cref="TryOpenConnection"/>.</summary>
    ErrorBody TooManyConnections { get; }

    /// <summary>How long a client refused a connection should wait before it tries again.</summary>
    TimeSpan ConnectionRetryAfter { get; }

    /// <summary>A source cancelled when the token the request was admitted with expires (never, for a token without
    /// an expiry): a connection must end then, with <see cref="ErrorResults.TokenExpired"/>. The caller disposes it.</summary>
    CancellationTokenSource WatchTokenExpiry(HttpContext http);

    /// <summary>Wraps an endpoint so that nothing it throws reaches the client as a 500 page or exception text: a
    /// failing store answers 503 <c>unavailable</c>, Kestrel's refusal of a body the client's fault, anything else
    /// <c>internal</c>, with the details in the server log only.</summary>
    RequestDelegate HandleErrors(RequestDelegate handler);
}
