using System.Text.Json;

namespace Tether.Server.Tests.Harness;

/// <summary>Reads <c>/sync/events</c> as an EventSource would: <c>id:</c> and <c>data:</c> lines, blank line ends an event.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseClient> ConnectAsync(SyncApi api, string query = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/sync/events" + query);
        HttpResponseMessage response = await api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event's id and JSON data.</summary>
    public async Task<(long Id, JsonElement Data)> ReceiveAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long id = -1;
        string? data = null;
        while (true)
        {
            string? line = await _reader.ReadLineAsync(cancel.Token);
            Assert.True(line is not null, "the event stream ended");
            if (line.Length == 0 && data is not null)
            {
                return (id, JsonDocument.Parse(data).RootElement.Clone());
            }
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }
    }

    /// <summary>Whether the server ends the stream (within 20 s) with no further event.</summary>
    public async Task<bool> EndsAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await _reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.Length > 0)
            {
                return false;
            }
        }
        return true;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
