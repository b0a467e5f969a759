using System.Net;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>A non-2xx answer of the server, with the protocol's error body when it had one.</summary>
internal sealed class ServerErrorException(HttpStatusCode status, ErrorBody error, TimeSpan? retryAfter)
    : Exception($"{(int)status} {error.Code}: {error.Message}")
{
    public HttpStatusCode Status { get; } = status;
    public ErrorBody Error { get; } = error;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Worth retrying later as it is: overload, outage, rate limit.</summary>
    public bool IsTransient => Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)Status >= 500;

    public bool IsResyncRequired => Error.Code == ErrorCodes.ResyncRequired;
}
