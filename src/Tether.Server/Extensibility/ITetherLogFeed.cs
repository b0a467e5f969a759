namespace Tether.Server.Extensibility;

/// <summary>
/// The committed log as it grows: one tailer per server node reads every commit once (of any node, for a shared
/// store) and publishes it here in batches. A front end reads from a position by taking a snapshot's log up to
/// <see cref="LogSubscription.StartSyncId"/> and then the subscription's batches, which start right after it.
/// </summary>
public interface ITetherLogFeed
{
    /// <summary>The greatest syncId published so far.</summary>
    long Position { get; }

    /// <summary>Subscribes from the current position, with room for <paramref name="capacity"/> unread batches.</summary>
    LogSubscription Subscribe(int capacity);

    /// <summary>Waits, at most <paramref name="timeout"/>, until the feed has published <paramref name="syncId"/>: a
    /// client that already holds data up to a commit must not be handed a feed that starts before it.</summary>
    Task WaitForPositionAsync(long syncId, TimeSpan timeout, CancellationToken cancellationToken);
}
