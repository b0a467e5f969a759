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
        catch (Exception e)
        {
            LogUnhandled(e, http.Request.Path);
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Internal, "The server failed to handle this request."));
        }
    };
}
