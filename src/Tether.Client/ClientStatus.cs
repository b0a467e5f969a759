namespace Tether.Client;

/// <summary>Where a client stands in the sync state machine.</summary>
public enum ClientStatus
{
    /// <summary>Loading local data.</summary>
    Starting,
    /// <summary>Downloading a snapshot (first start, a new schema, or data the server can no longer catch up).</summary>
    Bootstrapping,
    /// <summary>Connected; applying what happened since the local data's position.</summary>
    CatchingUp,
    /// <summary>Following the server's live stream.</summary>
    Live,
    /// <summary>The server cannot be reached; local reads and writes go on, and the client retries with backoff.</summary>
    Offline,
    /// <summary>A condition retrying cannot fix (an unsupported schema, a refused token); see <see cref="TetherClient.Failure"/>.</summary>
    Failed,
}
