using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal.Fanout;
using Tether.Server.Internal.Http;
using Tether.Server.Internal.Live;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary><c>GET /sync/delta</c> and <c>GET /sync/poll</c>: actions after a position, filtered by the user's
/// groups; poll waits until there is something to read or the timeout passes.</summary>
internal sealed class DeltaEndpoint(RequestGuard guard, UserConnections connections, ITetherStore store, GroupResolution groups, FanoutHub hub, IOptions<TetherServerOptions> options)
{
    public async Task HandleDeltaAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        TetherLimits limits = options.Value.Limits;
        if (!TryReadPosition(http.Request, "from", required: true, out long from)
            || !TryReadPosition(http.Request, "to", required: false, out long to)
            || !TryReadCount(http.Request, "limit", limits.MaxDeltaLimit, out int limit))
        {
            await ErrorResults.WriteAsync(http, BadQuery(limits));
            return;
        }
        await using ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted);
        if (DeltaQuery.NeedsResync(snapshot, from))
        {
            await ErrorResults.WriteAsync(http, Resync(snapshot));
            return;
        }
        IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, snapshot, http.RequestAborted);
        long upTo = to == 0 ? snapshot.Head : Math.Min(to, snapshot.Head);
        DeltaPage page = await DeltaQuery.ReadAsync(snapshot, from, upTo, userGroups, limit, http.RequestAborted);
        await WriteAsync(http, page);
    }

    public async Task HandlePollAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        TetherLimits limits = options.Value.Limits;
        if (!TryReadPosition(http.Request, "from", required: true, out long from)
            || !TryReadCount(http.Request, "timeoutMs", (int)limits.MaxPollTimeout.TotalMilliseconds, out int timeoutMs, fallback: 25_000))
        {
            await ErrorResults.WriteAsync(http, BadQuery(limits));
            return;
        }
        using IDisposable? connection = await connections.OpenAsync(http, userId, "poll");
        if (connection is null)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(timeoutMs);
        long covered = from;
        while (true)
        {
            // Taken before reading the store, so a publish between the read and the wait still wakes us.
            Task advanced = hub.Advanced;
            DeltaPage page;
            await using (ITetherReadSnapshot snapshot = await store.BeginLogReadAsync(http.RequestAborted))
            {
                if (DeltaQuery.NeedsResync(snapshot, covered))
                {
                    await ErrorResults.WriteAsync(http, Resync(snapshot));
                    return;
                }
                IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, snapshot, http.RequestAborted);
                page = await DeltaQuery.ReadAsync(snapshot, covered, snapshot.Head, userGroups, limits.MaxDeltaLimit, http.RequestAborted);
            }
            covered = page.LastSyncId;
            if (page.Entries.Count > 0 || timeout.IsCancellationRequested || hub.IsStopped)
            {
                await WriteAsync(http, page);
                return;
            }
            try
            {
                await advanced.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
            {
                // The poll's time is up: the next round answers with what it finds, possibly nothing.
            }
        }
    }

    private static async Task WriteAsync(HttpContext http, DeltaPage page)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(FrameJson.Delta(page), http.RequestAborted);
    }

    public static ErrorBody Resync(ITetherReadSnapshot snapshot)
        => new(ErrorCodes.ResyncRequired, $"This position can no longer be caught up by delta (kept: {snapshot.Horizon} to {snapshot.Head}); bootstrap again.");

    private static ErrorBody BadQuery(TetherLimits limits)
        => new(ErrorCodes.BadRequest, $"'from' (required) and 'to' are syncIds >= 0; 'limit' is 1 to {limits.MaxDeltaLimit}; 'timeoutMs' is 0 to {(int)limits.MaxPollTimeout.TotalMilliseconds}.");

    internal static bool TryReadPosition(HttpRequest request, string name, bool required, out long value)
    {
        value = 0;
        string? text = request.Query[name];
        if (string.IsNullOrEmpty(text))
        {
            return !required;
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryReadCount(HttpRequest request, string name, int max, out int value, int? fallback = null)
    {
        value = fallback ?? max;
        string? text = request.Query[name];
        if (string.IsNullOrEmpty(text))
        {
            value = Math.Min(value, max);
            return true;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max && (value > 0 || fallback is not null);
    }
}
