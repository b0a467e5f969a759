using System.Text.Json;
using Tether.Mutators;

namespace Tether.Server.PostgreSql.Tests.Conflicts;

/// <summary>A mutator that holds each write transaction it runs in until <paramref name="parties"/> transactions
/// (one per node, sharing this instance in process) have reached it, then lets every later run through at once. Pushed
/// after a conflicting mutation in the same push, it makes each node's transaction finish its reads before any of
/// them commits: the race is certain, not a matter of timing. It writes nothing.</summary>
internal sealed class RaceBarrier(int parties) : IMutator
{
    public const string MutatorName = "raceBarrier";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    public string Name => MutatorName;

    /// <summary>How many runs reached the barrier, the ones of transactions run again after a conflict included.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _arrived) >= parties)
        {
            _all.TrySetResult();
        }
        // A node whose transaction never arrives fails the test instead of hanging it.
        await _all.Task.WaitAsync(Patience, cancellationToken);
    }
}
