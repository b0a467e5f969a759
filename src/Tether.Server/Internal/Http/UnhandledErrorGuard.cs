using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

/// <summary>The last line of defence: an exception escaping a Tether endpoint becomes the protocol's <c>internal</c>
/// error (never a stack trace, whatever the environment), and its details go to the server log only.</summary>
internal sealed partial class UnhandledErrorGuard(ILogger<UnhandledErrorGuard> logger)
{
    public RequestDelegate Wrap(RequestDelegate handler) => async http =>
    {
        try
        {
            await handler(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (IsStoreUnavailable(e))
        {
            // The database is restarting, failing over or out of connections: a retry will do, so say so.
            LogStoreUnavailable(e, http.Request.Path);
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; retry later."), TimeSpan.FromSeconds(1));
        }
        catch (Exception e)
        {
            LogUnhandled(e, http.Request.Path);
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Internal, "The server failed to handle this request."));
        }
    };

    private static bool IsStoreUnavailable(Exception e)
        => e is System.Data.Common.DbException or TimeoutException || e.InnerException is { } inner && IsStoreUnavailable(inner);
}
