namespace Tether.Server.Storage;

/// <summary>Wakes this node's log tailer. The server's own writer signals its commits; a store shared by several
/// nodes signals the commits of the others (the PostgreSQL store does it from LISTEN/NOTIFY), so their sync actions
/// reach this node's connections without waiting for the tailer's slow poll.</summary>
public interface ITetherCommitSignal
{
    /// <summary>Says that something was committed to the log; cheap, and safe to call from any thread and often.</summary>
    void NotifyCommitted();
}
