namespace Tether.Server.Internal;

/// <summary>This node's commit figures since it started, readable in-process (the admin API's status): the meters
/// report the same to an exporter, but a counter cannot be read back.</summary>
internal sealed class CommitFigures
{
    private readonly Lock _lock = new();
    private long _committed;
    private long _failed;
    private long _mutations;
    private double _averageMs;

    public void Record(bool committed, int mutations, double milliseconds)
    {
        lock (_lock)
        {
            if (committed)
            {
                _committed++;
                _mutations += mutations;
            }
            else
            {
                _failed++;
            }
            // A moving average over about the last hundred commits: recent enough to show a slowdown.
            _averageMs = _committed + _failed == 1 ? milliseconds : _averageMs + (milliseconds - _averageMs) / 100;
        }
    }

    public (long Committed, long Failed, long Mutations, double AverageMs) Read()
    {
        lock (_lock)
        {
            return (_committed, _failed, _mutations, _averageMs);
        }
    }
}
