using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Extensibility;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary>
/// The admin API under <c>{prefix}/admin</c>, for the <c>tether</c> tool and the inspector page: what the server is
/// doing (status, the log's tail, open connections, a user's groups) and compaction now. The caller's token is checked
/// like any request's, then <see cref="TetherServerOptions.Admins"/> must name the user. Answers are JSON; refusals use
/// the protocol's error shape.
/// </summary>
internal sealed class AdminEndpoint(
    RequestGuard guard,
    ITetherStore store,
    FanoutHub hub,
    WriterQueue queue,
    UserConnections connections,
    GroupResolution groups,
    LogRetention retention,
    TetherMetrics metrics,
    IOptions<TetherServerOptions> options,
    IServiceProvider services)
{
    /// <summary>The most actions one log request looks through for its filters.</summary>
    private const int MaxScanned = 20_000;
    private const int MaxLimit = 1_000;
    private const int Page = 500;

    public async Task StatusAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }
        long head;
        long horizon;
        await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted))
        {
            head = snapshot.Head;
            horizon = snapshot.Horizon;
        }
        HealthReport? health = services.GetService(typeof(HealthCheckService)) is HealthCheckService checks
            ? await checks.CheckHealthAsync(http.RequestAborted)
            : null;
        OpenConnection[] open = connections.Open();
        TetherRetention kept = options.Value.Retention;
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WriteNumber("head", head);
            writer.WriteNumber("horizon", horizon);
            writer.WriteNumber("fanoutPosition", hub.Position);
            writer.WriteNumber("subscribers", hub.SubscriberCount);
            writer.WriteNumber("queuedPushes", queue.QueuedPushes);
            (long committed, long failed, long mutations, double averageMs) = metrics.Figures.Read();
            writer.WriteStartObject("commits");
            writer.WriteNumber("committed", committed);
            writer.WriteNumber("failed", failed);
            writer.WriteNumber("mutations", mutations);
            writer.WriteNumber("averageMs", Math.Round(averageMs, 2));
            writer.WriteEndObject();
            writer.WriteBoolean("runsMaintenance", store.RunsMaintenance);
            writer.WriteString("node", Environment.MachineName);
            writer.WriteStartObject("connections");
            writer.WriteNumber("total", open.Length);
            foreach (IGrouping<string, OpenConnection> transport in open.GroupBy(c => c.Transport).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(transport.Key, transport.Count());
            }
            writer.WriteEndObject();
            writer.WriteStartObject("retention");
            WriteOptional(writer, "keepForSeconds", kept.KeepFor?.TotalSeconds);
            WriteOptional(writer, "keepActions", kept.KeepActions);
            writer.WriteNumber("intervalSeconds", kept.Interval.TotalSeconds);
            writer.WriteEndObject();
            if (health is not null)
            {
                WriteHealth(writer, health);
            }
        });
    }

    public async Task LogAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }
        IQueryCollection query = http.Request.Query;
        if (!TryLimit(query["limit"], out int limit))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, $"limit must be a whole number from 1 to {MaxLimit}."));
            return;
        }
        string? model = Filter(query["model"]);
        string? modelId = Filter(query["modelId"]);
        string? clientId = Filter(query["clientId"]);
        var found = new List<LogEntry>();
        long head;
        long horizon;
        await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted))
        {
            head = snapshot.Head;
            horizon = snapshot.Horizon;
            // Newest first: pages read backwards from the head, until enough match or the scan bound is reached.
            for (long upTo = head; upTo > horizon && found.Count < limit && head - upTo < MaxScanned; upTo -= Page)
            {
                long after = Math.Max(horizon, upTo - Page);
                IReadOnlyList<LogEntry> page = await snapshot.ReadLogAsync(after, upTo, Page, http.RequestAborted);
                found.AddRange(page.Reverse().Where(e =>
                    (model is null || e.ModelName == model) && (modelId is null || e.ModelId == modelId) && (clientId is null || e.ClientId == clientId)));
            }
        }
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WriteNumber("head", head);
            writer.WriteNumber("horizon", horizon);
            writer.WriteStartArray("actions");
            foreach (LogEntry entry in found.Take(limit))
            {
                writer.WriteStartObject();
                writer.WriteNumber("syncId", entry.SyncId);
                writer.WriteString("action", entry.Action);
                writer.WriteString("model", entry.ModelName);
                writer.WriteString("modelId", entry.ModelId);
                WriteOptional(writer, "clientId", entry.ClientId);
                WriteOptional(writer, "mutationId", entry.MutationId);
                writer.WriteStartArray("groups");
                foreach (string group in entry.SyncGroups)
                {
                    writer.WriteStringValue(group);
                }
                writer.WriteEndArray();
                if (entry.Data is { } data)
                {
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(data, skipInputValidation: true);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        });
    }

    public async Task ClientsAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }
        OpenConnection[] open = connections.Open();
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WriteStartArray("connections");
            foreach (OpenConnection connection in open)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", connection.Id);
                writer.WriteString("userId", connection.UserId);
                writer.WriteString("transport", connection.Transport);
                writer.WriteString("openedAt", connection.OpenedAt);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        });
    }

    public async Task GroupsAsync(HttpContext http, string userId)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }
        if (!WellFormed.IsText(userId))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, "The user id is not well-formed text."));
            return;
        }
        IReadOnlySet<string> resolved = await groups.ResolveAsync(userId, http.RequestAborted);
        await JsonResults.WriteObjectAsync(http, writer =>
        {
            writer.WriteString("userId", userId);
            writer.WriteStartArray("groups");
            foreach (string group in resolved.Order(StringComparer.Ordinal))
            {
                writer.WriteStringValue(group);
            }
            writer.WriteEndArray();
        });
    }

    /// <summary>Applies the retention policy now; with <c>?upTo=</c>, compacts up to that syncId instead.</summary>
    public async Task CompactAsync(HttpContext http)
    {
        if (!await AdmitAsync(http))
        {
            return;
        }
        string? upToText = http.Request.Query["upTo"];
        long horizon;
        if (upToText is null)
        {
            horizon = await retention.ApplyAsync(options.Value.Retention, http.RequestAborted);
        }
        else
        {
            long head;
            await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted))
            {
                head = snapshot.Head;
            }
            if (!long.TryParse(upToText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long upTo) || upTo > head)
            {
                await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, $"upTo must be a syncId from 0 to the head ({head})."));
                return;
            }
            await store.CompactAsync(upTo, http.RequestAborted);
            await using ITetherReadSnapshot after = await store.BeginLogReadAsync(http.RequestAborted);
            horizon = after.Horizon;
        }
        await JsonResults.WriteObjectAsync(http, writer => writer.WriteNumber("horizon", horizon));
    }

    private async Task<bool> AdmitAsync(HttpContext http)
    {
        if (await guard.AdmitAsync(http) is not { } userId)
        {
            return false;
        }
        if (!options.Value.Admins.Contains(userId))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Forbidden, "This user is not an admin of this server (Tether:Admins)."));
            return false;
        }
        return true;
    }

    private static bool TryLimit(string? text, out int limit)
    {
        if (text is null)
        {
            limit = 50;
            return true;
        }
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxLimit;
    }

    private static string? Filter(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteHealth(Utf8JsonWriter writer, HealthReport health)
    {
        writer.WriteStartObject("health");
        writer.WriteString("status", health.Status.ToString());
        foreach ((string name, HealthReportEntry entry) in health.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            WriteOptional(writer, "description", entry.Description);
            foreach ((string key, object value) in entry.Data)
            {
                writer.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
