using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>
/// Reads <c>/sync/events</c> in the background as an EventSource does: when its node goes away it connects again
/// with the last event id it received (<c>Last-Event-ID</c>), to the node <see cref="Target"/> names then, and the
/// server catches it up. It keeps every sync action it received, in order.
/// </summary>
internal sealed class ResumingEventReader : IAsyncDisposable
{
    private readonly List<JsonElement> _actions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _lastEventId;
    private long _lastSyncId;

    private ResumingEventReader(string user, long from, Func<Uri> target)
    {
        Target = target;
        _lastEventId = from;
        _lastSyncId = from;
        _reading = ReadAsync(user);
    }

    public Func<Uri> Target { get; set; }

    /// <summary>True when reading stopped for good (a refused stream: disposing throws why).</summary>
    public bool Ended => _reading.IsCompleted;

    /// <summary>How many times the stream was opened.</summary>
    public int Connections { get; private set; }

    /// <summary>The lastSyncId of the last sync event received.</summary>
    public long LastSyncId => Interlocked.Read(ref _lastSyncId);

    public JsonElement[] Actions
    {
        get
        {
            lock (_actions)
            {
                return [.. _actions];
            }
        }
    }

    public static ResumingEventReader Start(string user, long from, Func<Uri> target) => new(user, from, target);

    private async Task ReadAsync(string user)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Target(), "/sync/events"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "dev:" + user);
                request.Headers.Add("Last-Event-ID", _lastEventId.ToString(CultureInfo.InvariantCulture));
                using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"/sync/events answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(_stop.Token)}");
                }
                Connections++;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
                long? id = null;
                string? data = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (data is not null)
                        {
                            Receive(JsonDocument.Parse(data).RootElement.Clone(), id);
                        }
                        id = null;
                        data = null;
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        id = long.Parse(line[4..], CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        data = line[6..];
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The node went away mid-stream or refuses connections: connect again below.
            }
            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Receive(JsonElement frame, long? id)
    {
        if (frame.Type() == "sync")
        {
            lock (_actions)
            {
                _actions.AddRange(frame.Actions());
            }
            Interlocked.Exchange(ref _lastSyncId, frame.LastSyncId());
        }
        if (id is { } eventId)
        {
            _lastEventId = eventId;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
