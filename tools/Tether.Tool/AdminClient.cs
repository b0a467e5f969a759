using System.Net.Http.Headers;
using System.Text.Json;

namespace Tether.Tool;

/// <summary>A server's sync base (<c>…/sync/</c>) with a bearer token: the admin API's JSON, and the push endpoint for
/// the load generator.</summary>
internal sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    public AdminClient(Uri server, string token)
    {
        _http = new HttpClient { BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Add("Tether-Protocol", "1");
    }

    public HttpClient Http => _http;

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
        => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<JsonElement> PostAsync(string path, CancellationToken cancellationToken)
        => SendAsync(new HttpRequestMessage(HttpMethod.Post, path), cancellationToken);

    private async Task<JsonElement> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new ToolException($"Could not reach {_http.BaseAddress}: {e.Message}");
            }
            using (response)
            {
                string body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new ToolException($"The server answered {(int)response.StatusCode}: {ErrorMessage(body)}");
                }
                try
                {
                    return JsonDocument.Parse(body).RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new ToolException($"The answer from {_http.BaseAddress} is not the admin API's JSON: is --server the sync base (…/sync/)?");
                }
            }
        }
    }

    /// <summary>The protocol's error shape, <c>{"error":{"code","message"}}</c>, as one line; the body itself when it
    /// is not that.</summary>
    public static string ErrorMessage(string body)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.TryGetProperty("code", out JsonElement code) && error.TryGetProperty("message", out JsonElement message))
            {
                return $"{message.GetString()} ({code.GetString()})";
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy's page, say; shown as it is below.
        }
        return body.Length > 200 ? body[..200] + "…" : body;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A failure the tool explains in one line and exits 1 for; nothing else is caught.</summary>
internal sealed class ToolException(string message) : Exception(message);
