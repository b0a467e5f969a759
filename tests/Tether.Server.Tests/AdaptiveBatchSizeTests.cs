using Tether.Server.Internal.Pipeline;

namespace Tether.Server.Tests;

/// <summary>Each writer loop's batch size: halved by a conflict down to one mutation, then one more per commit that
/// went through, up to the configured most.</summary>
public sealed class AdaptiveBatchSizeTests
{
    [Fact]
    public void Conflicts_halve_the_batch_down_to_one_and_clean_commits_grow_it_by_one_up_to_the_most()
    {
        var size = new AdaptiveBatchSize(10);
        Assert.Equal(10, size.Current);

        size.Conflicted();
        Assert.Equal(5, size.Current);
        size.Conflicted();
        size.Conflicted();
        size.Conflicted();
        Assert.Equal(1, size.Current);
        size.Conflicted();
        Assert.Equal(1, size.Current);

        for (int i = 0; i < 20; i++)
        {
            size.Committed();
        }
        Assert.Equal(10, size.Current);
    }
}
