using System.Text.Json;
using Tether.Mutators;

namespace Tether.Server.Tests.Harness;

/// <summary>A mutator that holds the writer inside its commit until the test opens it, so that a test can queue
/// pushes behind it and know exactly what waits. It writes nothing.</summary>
public sealed class GateMutator : IMutator
{
    public const string MutatorName = "gate";

    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => MutatorName;

    /// <summary>Completes when the writer is inside the gate.</summary>
    public Task Entered => _entered.Task;

    public void Open() => _open.TrySetResult();

    public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _open.Task.WaitAsync(cancellationToken);
    }
}
