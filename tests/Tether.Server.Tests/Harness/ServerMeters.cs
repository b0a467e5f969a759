using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.Server.Tests.Harness;

/// <summary>The measurements of one server's meters. Its meters come from its own meter factory, so the servers of
/// other tests running at the same time are not counted.</summary>
public sealed class ServerMeters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];
    private TaskCompletionSource _recorded = NewSignal();

    public ServerMeters(TestServer server)
    {
        IMeterFactory factory = server.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The sum of a counter's (or up-down counter's) measurements, optionally only those with a tag.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null)
        => Of(instrument, tag, value).Sum(m => m.Value);

    /// <summary>How many measurements an instrument recorded (a histogram's observations).</summary>
    public int Count(string instrument, string? tag = null, string? value = null)
        => Of(instrument, tag, value).Count();

    /// <summary>Every value an instrument recorded, in order.</summary>
    public double[] Values(string instrument) => [.. Of(instrument, null, null).Select(m => m.Value)];

    /// <summary>The values of one tag over an instrument's measurements, in order.</summary>
    public string?[] TagValues(string instrument, string tag)
        => [.. Of(instrument, null, null).Select(m => m.Tags.FirstOrDefault(t => t.Key == tag).Value?.ToString())];

    /// <summary>Returns once <paramref name="condition"/> holds, checking it after every measurement; fails after
    /// a minute.</summary>
    public async Task WaitUntilAsync(Func<ServerMeters, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            Task recorded;
            lock (_measurements)
            {
                recorded = _recorded.Task;
            }
            if (condition(this))
            {
                return;
            }
            try
            {
                await recorded.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private (string Instrument, double Value, KeyValuePair<string, object?>[] Tags)[] Of(string instrument, string? tag, string? value)
    {
        lock (_measurements)
        {
            return [.. _measurements.Where(m => m.Instrument == instrument
                && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value?.ToString(), value))))];
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        KeyValuePair<string, object?>[] copy = tags.ToArray();
        TaskCompletionSource recorded;
        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
            recorded = _recorded;
            _recorded = NewSignal();
        }
        recorded.TrySetResult();
    }

    public void Dispose() => _listener.Dispose();
}
