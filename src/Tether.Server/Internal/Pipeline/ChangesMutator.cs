using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Server.Internal.Pipeline;

/// <summary>The built-in <c>changes</c> mutator: applies Loco-style record changes, each one allowed or refused by
/// the app's <see cref="IWritePolicy"/>. The server, not the client, says who created a record and when; a record
/// carries only the fields the policy declares for its model and is at most
/// <see cref="TetherLimits.MaxRecordBytes"/> long.</summary>
internal sealed class ChangesMutator(IWritePolicy policy, TetherLimits limits)
    : Mutator<ChangesArgs>(ChangesArgs.MutatorName, TetherJsonContext.Default.ChangesArgs)
{
    private const int MaxChanges = 1_000;

    /// <summary>The fields the server sets on a create, whatever the client sent.</summary>
    private static readonly string[] Stamps = [IWritePolicy.CreatedBy, IWritePolicy.CreatedAt];

    protected override async ValueTask ExecuteAsync(IMutationContext context, ChangesArgs args, CancellationToken cancellationToken)
    {
        if (args.Changes.Count is 0 or > MaxChanges)
        {
            throw MutationRejectedException.InvalidArgs($"'changes' carries 1 to {MaxChanges} changes.");
        }
        foreach (Change? change in args.Changes)
        {
            // Null elements get past the nullable annotations of a list's items; they are refused, not dereferenced.
            if (change is null)
            {
                throw MutationRejectedException.InvalidArgs("Each change is an object, not null.");
            }
            if (!ModelNames.IsValid(change.ModelName) || string.IsNullOrEmpty(change.ModelId))
            {
                throw MutationRejectedException.InvalidArgs("Each change names a valid modelName and a modelId.");
            }
            switch (change.Action)
            {
                case ChangeKinds.Create:
                    JsonObject data = change.Data ?? throw MutationRejectedException.InvalidArgs("A create carries the record's data.");
                    data[IWritePolicy.CreatedBy] = context.UserId;
                    data[IWritePolicy.CreatedAt] = context.Now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                    CheckSize(change.ModelName, data);
                    IReadOnlyCollection<string> groups = await policy.AuthorizeCreateAsync(context, change.ModelName, change.ModelId, data, cancellationToken);
                    CheckFields(change.ModelName, data);
                    await context.InsertAsync(change.ModelName, change.ModelId, data, groups, cancellationToken);
                    break;
                case ChangeKinds.Update:
                    JsonObject patch = change.Data ?? throw MutationRejectedException.InvalidArgs("An update carries the fields to change.");
                    Record existing = await ExistingAsync(context, change, cancellationToken);
                    KeepServerStamps(existing, patch);
                    CheckSize(change.ModelName, Patched(existing.Data, patch));
                    await policy.AuthorizeUpdateAsync(context, existing, patch, cancellationToken);
                    CheckFields(change.ModelName, patch);
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

    private void CheckSize(string modelName, JsonObject record)
    {
        if (JsonSerializer.SerializeToUtf8Bytes(record, TetherJsonContext.Default.JsonObject).Length > limits.MaxRecordBytes)
        {
            throw MutationRejectedException.InvalidArgs($"A {modelName} record written with 'changes' is at most {limits.MaxRecordBytes} bytes of JSON.");
        }
    }

    private void CheckFields(string modelName, JsonObject data)
    {
        IReadOnlySet<string> allowed = policy.FieldsOf(modelName);
        foreach ((string field, JsonNode? _) in data)
        {
            if (field != "id" && !Stamps.Contains(field) && !allowed.Contains(field))
            {
                throw MutationRejectedException.InvalidArgs($"'{field}' is not a field of {modelName} records.");
            }
        }
    }

    /// <summary>An update may repeat the stamps (clients that send the whole record do) but not change them.</summary>
    private static void KeepServerStamps(Record existing, JsonObject patch)
    {
        foreach (string field in Stamps)
        {
            if (patch.ContainsKey(field) && !JsonNode.DeepEquals(patch[field], existing.Data[field]))
            {
                throw MutationRejectedException.Forbidden($"'{field}' is set by the server and cannot be changed.");
            }
        }
    }

    private static JsonObject Patched(JsonObject existing, JsonObject patch)
    {
        var record = (JsonObject)existing.DeepClone();
        foreach ((string field, JsonNode? value) in patch)
        {
            record[field] = value?.DeepClone();
        }
        return record;
    }

    private static async ValueTask<Record> ExistingAsync(IMutationContext context, Change change, CancellationToken cancellationToken)
        => await context.GetAsync(change.ModelName, change.ModelId, cancellationToken)
           ?? throw MutationRejectedException.NotFound($"There is no {change.ModelName} with id '{change.ModelId}'.");
}

/// <summary>The policy used when the app supplies none: every change through <c>changes</c> is refused.</summary>
internal sealed class DenyAllWritePolicy : IWritePolicy
{
    public IReadOnlySet<string> FieldsOf(string modelName) => new HashSet<string>();

    public ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken)
        => throw Denied();

    public ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken)
        => throw Denied();

    public ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken)
        => throw Denied();

    private static MutationRejectedException Denied() => MutationRejectedException.Forbidden("This server allows no changes through 'changes'.");
}
