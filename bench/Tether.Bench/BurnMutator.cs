using System.Diagnostics;
using System.Text.Json;
using IssueTracker.Mutators;
using Tether.Mutators;

namespace Tether.Bench;

/// <summary>Bench only: <c>createIssue</c> after about 1 ms of CPU, a stand-in for a mutator whose own work, not the
/// database, bounds a node's writes.</summary>
internal sealed class BurnMutator : IMutator
{
    public const string MutatorName = "burn";

    private static readonly long Ticks = Stopwatch.Frequency / 1_000;
    private readonly CreateIssueMutator _createIssue = new();

    public string Name => MutatorName;

    public ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        Burn();
        return ((IMutator)_createIssue).ExecuteAsync(context, args, cancellationToken);
    }

    /// <summary>Spins for 1 ms of the stopwatch: all of it on the CPU unless the thread is preempted.</summary>
    public static void Burn()
    {
        long until = Stopwatch.GetTimestamp() + Ticks;
        while (Stopwatch.GetTimestamp() < until)
        {
        }
    }
}
