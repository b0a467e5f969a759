using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

/// <summary>The last line of defence, around every endpoint of every front end: an exception escaping it becomes the
/// protocol's <c>internal</c> error (never a stack trace, echoed headers or exception text, whatever the
/// environment: the developer exception page never sees it), and its details go to the server log only.</summary>
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
        catch (BadHttpRequestException e)
        {
            // Kestrel refused what the client sent while the endpoint read it (a body slower than the minimum data
            // rate, a malformed chunk): the client's fault, so no stack trace and no error-level entry.
            LogBadRequest(http.Request.Path, e.StatusCode, e.Message);
            await ErrorResults.WriteAsync(http, ClientFault(e.StatusCode));
        }
        catch (Exception e) when (IsStoreUnavailable(e))
        {
            // The database is restarting, failing over or out of connections: a retry will do, so say so.
            LogStoreUnavailable(e, http.Request.Path);
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Unavailable, "The store is unavailable; retry later."), ErrorResults.RetryAfter);
        }
        catch (Exception e)
        {
            LogUnhandled(e, http.Request.Path);
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Internal, "The server failed to handle this request."));
        }
    };

    private static ErrorBody ClientFault(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => new ErrorBody(ErrorCodes.RequestTimeout, "The request body arrived too slowly; send it again."),
        StatusCodes.Status413PayloadTooLarge => new ErrorBody(ErrorCodes.PayloadTooLarge, "The request body is too large."),
        _ => new ErrorBody(ErrorCodes.BadRequest, "The request could not be read."),
    };

    private static bool IsStoreUnavailable(Exception e)
        => e is System.Data.Common.DbException or TimeoutException || e.InnerException is { } inner && IsStoreUnavailable(inner);
}
