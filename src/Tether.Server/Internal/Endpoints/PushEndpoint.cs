using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Pipeline;

namespace Tether.Server.Internal.Endpoints;

/// <summary><c>POST /sync/push</c>, and the push path shared with the WebSocket.</summary>
internal sealed class PushEndpoint(RequestGuard guard, MutationPipeline pipeline, TetherJson json, TetherMetrics metrics, IOptions<TetherServerOptions> options)
{
    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        byte[]? body = await BodyReader.ReadAsync(http, options.Value.Limits.MaxBodyBytes);
        if (body is null)
        {
            await ErrorResults.WriteAsync(http, TooLarge(options.Value.Limits));
            return;
        }
        PushRequest? request = JsonRequests.Parse(body, json.Context.PushRequest, out ErrorBody? parseError);
        using Activity? activity = TetherActivities.StartPush(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        WriteOutcome<PushResult> outcome = request is null ? WriteOutcome<PushResult>.Rejected(parseError!) : await PushAsync(userId, request, http.RequestAborted);
        if (outcome.Value is not { } result)
        {
            await ErrorResults.WriteAsync(http, outcome.Error!, outcome.RetryAfter);
            return;
        }
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, result, TetherJsonContext.Default.PushResult, http.RequestAborted);
    }

    public async Task<WriteOutcome<PushResult>> PushAsync(string userId, PushRequest request, CancellationToken callerGone)
    {
        metrics.Pushes.Add(1);
        Activity? activity = Activity.Current;
        if (activity?.Source == TetherActivities.Source)
        {
            activity.SetTag("tether.client_id", request.ClientId);
            activity.SetTag("tether.mutations", request.Mutations.Count);
        }
        if (PushValidation.Validate(request, options.Value.Limits) is { } invalid)
        {
            return WriteOutcome<PushResult>.Rejected(invalid);
        }
        return await pipeline.PushAsync(userId, request, callerGone);
    }

    public static ErrorBody TooLarge(TetherLimits limits)
        => new(ErrorCodes.PayloadTooLarge, $"The request is larger than {limits.MaxBodyBytes} bytes.");
}
