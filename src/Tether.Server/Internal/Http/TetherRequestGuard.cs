using Microsoft.AspNetCore.Http;
using Tether.Protocol;
using Tether.Server.Internal.Auth;

namespace Tether.Server.Internal.Http;

/// <summary>The guard front ends see: the same admission, rate, connection count and error handling as Tether's
/// own endpoints.</summary>
internal sealed class TetherRequestGuard(RequestGuard guard, UserConnections connections, UnhandledErrorGuard errors) : ITetherRequestGuard
{
    public Task<string?> AdmitAsync(HttpContext http) => guard.AdmitAsync(http);

    public Task<string?> AuthenticateTokenAsync(HttpContext http, string token) => guard.AuthenticateTokenAsync(http, token);

    public TimeSpan? TryTakeRequest(string userId) => guard.TryTake(userId);

    public IDisposable? TryOpenConnection(string userId) => connections.TryOpen(userId, "extension");

    public ErrorBody TooManyConnections => connections.TooMany();

    public TimeSpan ConnectionRetryAfter => UserConnections.RetryAfter;

    public CancellationTokenSource WatchTokenExpiry(HttpContext http) => TokenDeadline.Watch(http);

    public RequestDelegate HandleErrors(RequestDelegate handler) => errors.Wrap(handler);
}
