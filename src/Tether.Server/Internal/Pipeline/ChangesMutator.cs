using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Server.Internal.Pipeline;

/// <summary>The built-in <c>changes</c> mutator: applies Loco-style record changes, each one allowed or refused by
/// the app's <see cref="IWritePolicy"/>.</summary>
internal sealed class ChangesMutator(IWritePolicy policy)
    : Mutator<ChangesArgs>(ChangesArgs.MutatorName, TetherJsonContext.Default.ChangesArgs)
{
    private const int MaxChanges = 1_000;

    protected override async ValueTask ExecuteAsync(IMutationContext context, ChangesArgs args, CancellationToken cancellationToken)
    {
        if (args.Changes.Count is 0 or > MaxChanges)
        {
            throw MutationRejectedException.InvalidArgs($"'changes' carries 1 to {MaxChanges} changes.");
        }
        foreach (Change change in args.Changes)
        {
            if (!ModelNames.IsValid(change.ModelName) || string.IsNullOrEmpty(change.ModelId))
            {
                throw MutationRejectedException.InvalidArgs("Each change names a valid modelName and a modelId.");
            }
            switch (change.Action)
            {
                case ChangeKinds.Create:
                    var data = change.Data ?? throw MutationRejectedException.InvalidArgs("A create carries the record's data.");
                    var groups = await policy.AuthorizeCreateAsync(context, change.ModelName, change.ModelId, data, cancellationToken);
                    await context.InsertAsync(change.ModelName, change.ModelId, data, groups, cancellationToken);
                    break;
                case ChangeKinds.Update:
                    var patch = change.Data ?? throw MutationRejectedException.InvalidArgs("An update carries the fields to change.");
                    await policy.AuthorizeUpdateAsync(context, await ExistingAsync(context, change, cancellationToken), patch, cancellationToken);
                    await context.UpdateAsync(change.ModelName, change.ModelId, patch, cancellationToken: cancellationToken);
                    break;
                case ChangeKinds.Delete:
                    await policy.AuthorizeDeleteAsync(context, await ExistingAsync(context, change, cancellationToken), cancellationToken);
                    await context.DeleteAsync(change.ModelName, change.ModelId, cancellationToken);
                    break;
                default:
                    throw MutationRejectedException.InvalidArgs($"Unknown change action '{change.Action}'.");
            }
        }
    }

    private static async ValueTask<Record> ExistingAsync(IMutationContext context, Change change, CancellationToken cancellationToken)
        => await context.GetAsync(change.ModelName, change.ModelId, cancellationToken)
           ?? throw MutationRejectedException.NotFound($"There is no {change.ModelName} with id '{change.ModelId}'.");
}

/// <summary>The policy used when the app supplies none: every change through <c>changes</c> is refused.</summary>
internal sealed class DenyAllWritePolicy : IWritePolicy
{
    public ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, System.Text.Json.Nodes.JsonObject data, CancellationToken cancellationToken)
        => throw Denied();

    public ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, System.Text.Json.Nodes.JsonObject patch, CancellationToken cancellationToken)
        => throw Denied();

    public ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken)
        => throw Denied();

    private static MutationRejectedException Denied() => MutationRejectedException.Forbidden("This server allows no changes through 'changes'.");
}
