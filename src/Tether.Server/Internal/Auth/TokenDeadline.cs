using Microsoft.AspNetCore.Http;
using Tether.Protocol;

namespace Tether.Server.Internal.Auth;

/// <summary>
/// When the token a request was admitted with stops being accepted: its <c>exp</c> plus the clock skew the validation
/// allows. A connection that outlives it is closed, so a user whose tokens are no longer renewed stops receiving data.
/// Development tokens have none.
/// </summary>
internal sealed record TokenDeadline(DateTimeOffset At)
{
    // CancelAfter takes at most about 49 days; a deadline further away than this is as good as none for a connection.
    private static readonly TimeSpan Longest = TimeSpan.FromDays(30);

    public static TokenDeadline? Of(HttpContext http) => http.Features.Get<TokenDeadline>();

    /// <summary>A source that is cancelled when the request's token expires; never, for a token without a deadline.</summary>
    public static CancellationTokenSource Watch(HttpContext http)
    {
        var expired = new CancellationTokenSource();
        if (Of(http) is { } deadline)
        {
            TimeSpan left = deadline.At - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                expired.Cancel();
            }
            else if (left < Longest)
            {
                expired.CancelAfter(left);
            }
        }
        return expired;
    }
}
