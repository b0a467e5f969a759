using System.Net;
using Microsoft.AspNetCore.Http;
using System.Text;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>Sends fuzz requests one at a time and checks each answer with <see cref="ResponseChecks"/>. A stream
/// (SSE) is read up to its first event and then left; a long poll that is still waiting after
/// <paramref name="pendingIsAnswer"/> counts as answered (it waits by design).</summary>
internal sealed class HttpFuzzTarget(Uri baseAddress, TimeSpan? pendingIsAnswer = null) : IDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StreamReadTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        // Tokens and header values with non-ASCII text go out as UTF-8 instead of being refused by the client.
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sends <paramref name="request"/>; returns the outcome to count, and the problem (null when none).</summary>
    public async Task<(string Outcome, string? Problem)> SendAsync(FuzzRequest request)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            // A body over the server's limit is refused before it is read; waiting for 100 Continue lets that answer
            // arrive instead of a connection reset while the body is still being sent.
            message.Headers.ExpectContinue = request.Body.Length > 1024 * 1024;
        }
        if (request.ContentType is not null)
        {
            message.Content ??= new ByteArrayContent([]);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }
        foreach ((string name, string value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content ??= new ByteArrayContent([]);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var timeout = new CancellationTokenSource(pendingIsAnswer ?? AnswerTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (pendingIsAnswer is not null)
        {
            return ("pending", null);
        }
        catch (OperationCanceledException)
        {
            return ("timeout", $"no answer within {AnswerTimeout.TotalSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return ("no-answer", "no HTTP answer: " + e.Message);
        }
        using (response)
        {
            int status = (int)response.StatusCode;
            if (status == StatusCodes.Status101SwitchingProtocols)
            {
                // An upgrade that was accepted: the WebSocket itself is fuzzed by frames.
                return ("101", null);
            }
            string? contentType = response.Content.Headers.ContentType?.MediaType;
            (string body, string? broken) = await ReadBodyAsync(response, contentType == "text/event-stream");
            IEnumerable<string> headerValues = response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value);
            string outcome = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (outcome, ResponseChecks.CheckHttp(status, contentType, body, headerValues) ?? broken);
        }
    }

    /// <summary>The body as text, and a problem when it broke off.</summary>
    private static async Task<(string Body, string? Problem)> ReadBodyAsync(HttpResponseMessage response, bool stream)
    {
        using var timeout = new CancellationTokenSource(stream ? StreamReadTimeout : AnswerTimeout);
        await using Stream body = await response.Content.ReadAsStreamAsync(timeout.Token);
        var read = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int count = await body.ReadAsync(buffer, timeout.Token);
                if (count == 0)
                {
                    break;
                }
                read.Write(buffer, 0, count);
                // A stream never ends: its first event (the handshake, a poke) is what there is to check.
                if (stream && read.ToArray().AsSpan().IndexOf("\n\n"u8) >= 0)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stream)
        {
            // A stream that sent nothing yet: what arrived is checked.
        }
        catch (OperationCanceledException)
        {
            return (Encoding.UTF8.GetString(read.ToArray()), $"the answer did not end within {AnswerTimeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (Encoding.UTF8.GetString(read.ToArray()), "the answer broke off: " + e.Message);
        }
        return (Encoding.UTF8.GetString(read.ToArray()), null);
    }

    public void Dispose() => _http.Dispose();
}
