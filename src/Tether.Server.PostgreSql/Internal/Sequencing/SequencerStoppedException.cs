namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>
/// The write-ahead log holds a change the sequencer cannot turn into sync actions without losing or inventing one
/// (a synced table without REPLICA IDENTITY FULL, a column missing or unreadable, a malformed marker). Reading the
/// same log again meets the same change, so the sequencer stops instead of retrying; the message names what to fix.
/// </summary>
internal sealed class SequencerStoppedException : Exception
{
    public SequencerStoppedException(string message)
        : base(message)
    {
    }

    public SequencerStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
