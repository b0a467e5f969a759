using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.Server.Internal;

/// <summary>Healthy when the store answers a read and pushes do not wait long for the writer (Degraded when the user
/// whose turn is next has waited past <see cref="TetherLimits.DegradedQueueWait"/>); reports the head, the fan-out position, the
/// subscribers and the writer's queue.</summary>
internal sealed class TetherHealthCheck(ITetherStore store, FanoutHub hub, WriterQueue queue, IOptions<TetherServerOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(cancellationToken);
            TimeSpan wait = queue.OldestWait;
            var data = new Dictionary<string, object>
            {
                ["head"] = snapshot.Head,
                ["published"] = hub.Position,
                ["subscribers"] = hub.SubscriberCount,
                ["queuedPushes"] = queue.QueuedPushes,
                ["queueWaitMs"] = (long)wait.TotalMilliseconds,
            };
            return wait > options.Value.Limits.DegradedQueueWait
                ? HealthCheckResult.Degraded("Pushes wait long for the writer.", data: data)
                : HealthCheckResult.Healthy(data: data);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The store does not answer.", e);
        }
    }

    /// <summary><c>{"status":"Healthy","head":N,...}</c>; the exception of an unhealthy store stays in the log.</summary>
    public static async Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        foreach (HealthReportEntry entry in report.Entries.Values)
        {
            foreach ((string key, object value) in entry.Data)
            {
                writer.WriteNumber(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        writer.WriteEndObject();
    }
}
