using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>The protocol's HTTP calls: bootstrap, delta, push. Adds the headers every call carries, asks the token
/// provider again after a 401, and turns error answers into <see cref="ServerErrorException"/>.</summary>
internal sealed class ServerApi(HttpClient http, TetherClientOptions options) : IDisposable
{
    private static readonly HttpRequestOptionsKey<bool> BrowserStreaming = new("WebAssemblyEnableStreamingResponse");
    private string? _token;

    public Uri ServerUrl { get; } = options.ServerUrl.AbsoluteUri.EndsWith('/') ? options.ServerUrl : new Uri(options.ServerUrl.AbsoluteUri + "/");

    public async ValueTask<string> TokenAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (_token is null || refresh)
        {
            _token = await options.TokenProvider(cancellationToken);
        }
        return _token;
    }

    /// <summary>Sends a request built by <paramref name="build"/>; on 401 asks for a new token and sends once more.</summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            HttpRequestMessage request = build();
            // In the browser, fetch buffers a whole response unless asked to stream it: bootstrap and SSE need streaming.
            request.Options.Set(BrowserStreaming, true);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(attempt > 0, cancellationToken));
            request.Headers.Add(ProtocolHeaders.Protocol, ProtocolHeaders.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(ProtocolHeaders.Schema, options.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            HttpResponseMessage response = await http.SendAsync(request, completion, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                response.Dispose();
                continue;
            }
            using (response)
            {
                throw await ErrorOfAsync(response, cancellationToken);
            }
        }
    }

    private static readonly ActivitySource Activities = new(TetherClientTelemetry.ActivitySourceName);

    public async Task<PushResult> PushAsync(PushRequest push, CancellationToken cancellationToken)
    {
        using Activity? activity = Activities.StartActivity("tether.client.push", ActivityKind.Client);
        activity?.SetTag("tether.client_id", push.ClientId);
        activity?.SetTag("tether.mutations", push.Mutations.Count);
        using var timeout = Timeout(cancellationToken);
        try
        {
            return await PushWithinAsync(push, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The push took longer than {options.RequestTimeout}.");
        }
    }

    public async Task<DeltaResponse> DeltaAsync(long from, long upTo, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        try
        {
            return await DeltaWithinAsync(from, upTo, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The delta took longer than {options.RequestTimeout}.");
        }
    }

    private CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        return timeout;
    }

    private async Task<PushResult> PushWithinAsync(PushRequest push, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(ServerUrl, "push")) { Content = JsonContent.Create(push, TetherJsonContext.Default.PushRequest) },
            HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await response.Content.ReadFromJsonAsync(TetherJsonContext.Default.PushResult, cancellationToken)
            ?? throw new JsonException("The push answer was empty.");
    }

    private async Task<DeltaResponse> DeltaWithinAsync(long from, long upTo, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(ServerUrl, $"delta?from={from}&to={upTo}")),
            HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await response.Content.ReadFromJsonAsync(TetherJsonContext.Default.DeltaResponse, cancellationToken)
            ?? throw new JsonException("The delta answer was empty.");
    }

    /// <summary>Opens a bootstrap and reads its start line; the rows are read from the returned stream.</summary>
    public async Task<BootstrapStream> BootstrapAsync(BootstrapRequest request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, new Uri(ServerUrl, "bootstrap")) { Content = JsonContent.Create(request, TetherJsonContext.Default.BootstrapRequest) },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await BootstrapStream.OpenAsync(response, cancellationToken);
    }

    private static async Task<ServerErrorException> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta;
        ErrorBody body;
        try
        {
            body = (await response.Content.ReadFromJsonAsync(TetherJsonContext.Default.ErrorResponse, cancellationToken))?.Error
                ?? new ErrorBody(ErrorCodes.Internal, "The server answered without an error body.");
        }
        catch (JsonException)
        {
            // A proxy or a crashed server answered with something else; the status still says what to do.
            body = new ErrorBody((int)response.StatusCode >= 500 ? ErrorCodes.Unavailable : ErrorCodes.BadRequest, $"HTTP {(int)response.StatusCode} without the protocol's error body.");
        }
        return new ServerErrorException(response.StatusCode, body, retryAfter);
    }

    public void Dispose() => http.Dispose();
}
