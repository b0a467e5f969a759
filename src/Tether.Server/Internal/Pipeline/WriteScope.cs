using Tether.Mutators;
using Tether.Protocol;
using Tether.Server.Extensibility;

namespace Tether.Server.Internal.Pipeline;

/// <summary>A unit of work's view of the writer's open transaction; closed once the unit has run, so a unit that kept
/// it cannot write into a later commit.</summary>
internal sealed class WriteScope(MutationPipeline pipeline, MutationPipeline.BatchRun run, string userId) : IWriteScope
{
    /// <summary>What a front end's own mutation carries as its id: it is outside every client's id sequence.</summary>
    private const long OutsideSequence = 0;

    private bool _closed;

    public string UserId => userId;
    public DateTimeOffset Now => run.Now;
    public long Head => Open().Writes.Head;

    public async ValueTask<PushResult> PushAsync(PushRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        WriteOutcome<PushResult> outcome = await pipeline.RunClientPushAsync(Open(), userId, request, isFirst: true, cancellationToken).ConfigureAwait(false);
        return outcome.Value ?? throw new WriteRejectedException(outcome.Error!);
    }

    public ValueTask<T> MutateAsync<T>(string clientId, Func<IMutationContext, CancellationToken, ValueTask<T>> mutation, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(mutation);
        return MutationPipeline.MutateAsync(Open(), userId, clientId, OutsideSequence, mutation, cancellationToken);
    }

    public void Close() => _closed = true;

    private MutationPipeline.BatchRun Open()
        => _closed ? throw new InvalidOperationException("A write scope is valid only while its unit of work runs.") : run;
}
