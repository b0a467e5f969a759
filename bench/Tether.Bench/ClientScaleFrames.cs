using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Tether.Client.Internal;

namespace Tether.Bench;

/// <summary>A live frame as the client's sync loop received it: when, its type, how many actions a sync frame
/// carried, and how many receives the loop had started by then (the frame answers the last of them).</summary>
internal readonly record struct ArrivedFrame(long Timestamp, string? Type, int Actions, long Receive);

/// <summary>
/// Stamps every live frame as the client receives it, through the client's <c>WrapLiveChannel</c> hook, so that a
/// latency starts at the frame's arrival rather than at the server. The stamp is taken when the transport hands the
/// frame over, which is after the transport parsed it (WebSocket and Server-Sent Events both return parsed JSON).
/// Each receive the sync loop starts is counted too: a loop that asks for the next frame is done with the previous one.
/// </summary>
internal sealed class FrameClock(ChannelWriter<bool> signals)
{
    private readonly Lock _lock = new();
    private readonly List<ArrivedFrame> _frames = [];
    private long _receives;

    public long ReceivesStarted => Interlocked.Read(ref _receives);

    public ILiveChannel Wrap(ILiveChannel inner) => new TimedChannel(inner, this);

    /// <summary>How many frames arrived so far; <see cref="Since"/> takes it as a mark.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _frames.Count;
            }
        }
    }

    /// <summary>The sync frames that arrived after <paramref name="mark"/>.</summary>
    public ArrivedFrame[] SyncFramesSince(int mark)
    {
        lock (_lock)
        {
            return [.. _frames.Skip(mark).Where(f => f.Type == "sync")];
        }
    }

    private void ReceiveStarted()
    {
        Interlocked.Increment(ref _receives);
        signals.TryWrite(true);
    }

    private void Arrived(long timestamp, JsonElement? frame)
    {
        string? type = frame is { } f && f.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        int actions = type == "sync" && frame!.Value.TryGetProperty("sync", out JsonElement sync) ? sync.GetArrayLength() : 0;
        lock (_lock)
        {
            _frames.Add(new ArrivedFrame(timestamp, type, actions, ReceivesStarted));
        }
        signals.TryWrite(true);
    }

    private sealed class TimedChannel(ILiveChannel inner, FrameClock clock) : ILiveChannel
    {
        public async ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
        {
            clock.ReceiveStarted();
            JsonElement? frame = await inner.ReceiveAsync(cancellationToken);
            clock.Arrived(Stopwatch.GetTimestamp(), frame);
            return frame;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
