namespace Tether.Server.Internal.Pipeline;

/// <summary>How many mutations one writer loop puts in its next commit: all it may (<c>MaxMutationsPerCommit</c>)
/// while its commits go through, half as many after a conflict with a concurrent writer (a smaller transaction
/// overlaps fewer others and costs less to run again), and one more per commit without one (additive increase,
/// multiplicative decrease). A store with one writer never conflicts, so its batches keep the full size.</summary>
internal sealed class AdaptiveBatchSize(int max)
{
    private readonly int _max = max;

    public int Current { get; private set; } = max;

    public void Conflicted() => Current = Math.Max(1, Current / 2);

    public void Committed() => Current = Math.Min(_max, Current + 1);
}
