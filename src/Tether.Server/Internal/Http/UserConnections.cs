using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

/// <summary>
/// The long-lived connections each user holds, counted together across every front end (live WebSocket, SSE, long
/// poll, LiveStore sockets, Replicache poke streams): each costs the server memory for as long as it stays open, so
/// one user must not be able to hold an unbounded number of them.
/// </summary>
internal sealed class UserConnections(IOptions<TetherServerOptions> options)
{
    /// <summary>A refused connection is retried after this long: a connection frees its place only when it ends,
    /// which a token bucket's refill time does not predict.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<long, OpenConnection> _connections = [];
    private readonly Lock _lock = new();
    private long _lastId;

    private int Max => options.Value.Limits.MaxConnectionsPerUser;

    /// <summary>Takes a place for one more connection of the user, of <paramref name="transport"/>; null when the user
    /// already holds the most allowed. Disposing the lease frees the place.</summary>
    public IDisposable? TryOpen(string userId, string transport)
    {
        int max = Max;
        long id;
        lock (_lock)
        {
            _open.TryGetValue(userId, out int count);
            if (max > 0 && count >= max)
            {
                return null;
            }
            _open[userId] = count + 1;
            id = ++_lastId;
            _connections.Add(id, new OpenConnection(id, userId, transport, DateTimeOffset.UtcNow));
        }
        return new Lease(this, userId, id);
    }

    /// <summary>The connections open now, oldest first.</summary>
    public OpenConnection[] Open()
    {
        lock (_lock)
        {
            return [.. _connections.Values.OrderBy(connection => connection.Id)];
        }
    }

    /// <summary>Takes a place, or answers 429 <c>rate_limited</c> with <c>Retry-After</c> and returns null.</summary>
    public async Task<IDisposable?> OpenAsync(HttpContext http, string userId, string transport)
    {
        if (TryOpen(userId, transport) is { } lease)
        {
            return lease;
        }
        await ErrorResults.WriteAsync(http, TooMany(), RetryAfter);
        return null;
    }

    public ErrorBody TooMany() => new(ErrorCodes.RateLimited, $"This user already holds {Max} open connections; close one or retry later.");

    private void Close(string userId, long id)
    {
        lock (_lock)
        {
            _connections.Remove(id);
            int count = _open[userId] - 1;
            if (count == 0)
            {
                // Users come and go; an entry per user ever seen would grow without bound.
                _open.Remove(userId);
            }
            else
            {
                _open[userId] = count;
            }
        }
    }

    private sealed class Lease(UserConnections owner, string userId, long id) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                owner.Close(userId, id);
            }
        }
    }
}

/// <summary>A connection held open by a user: a live WebSocket, an SSE stream, a long poll, or a front end's own.</summary>
internal sealed record OpenConnection(long Id, string UserId, string Transport, DateTimeOffset OpenedAt);
