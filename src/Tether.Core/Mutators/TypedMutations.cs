using System.Text.Json.Nodes;

namespace Tether.Mutators;

/// <summary>
/// Reads and writes the records of a <see cref="SyncModel{T}"/> as typed entities through any
/// <see cref="IMutationContext"/>. They only call the context's own methods, so a mutator written with them runs the
/// same on the client (its optimistic view) and on the server (its write transaction, whichever store holds the
/// records), and the JSON and the sync groups of what it writes come from the model on both sides.
/// </summary>
public static class TypedMutations
{
    /// <summary>The entity <paramref name="id"/> of <paramref name="model"/>, or null when there is none.</summary>
    public static async ValueTask<T?> GetAsync<T>(this IMutationContext context, SyncModel<T> model, string id, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        Record? record = await context.GetAsync(model.Name, id, cancellationToken).ConfigureAwait(false);
        return record is null ? null : model.FromJson(record.Data);
    }

    /// <summary>The entities of <paramref name="model"/> that its rules put in <paramref name="syncGroup"/>. The
    /// rules decide on both sides: a client, which does not know the groups of its records, lists them all, and the
    /// entities of other groups are left out here.</summary>
    public static async ValueTask<IReadOnlyList<T>> ListAsync<T>(this IMutationContext context, SyncModel<T> model, string syncGroup, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<Record> records = await context.ListAsync(model.Name, syncGroup, cancellationToken).ConfigureAwait(false);
        var entities = new List<T>(records.Count);
        foreach (Record record in records)
        {
            T entity = model.FromJson(record.Data);
            if (model.GroupsOf(entity).Contains(syncGroup, StringComparer.Ordinal))
            {
                entities.Add(entity);
            }
        }
        return entities;
    }

    /// <summary>Creates the record of <paramref name="entity"/>, in the sync groups the model's rules give it. Refused
    /// with <c>invalid_args</c> when its id exists or when the rules put it in no group (nobody could read it).</summary>
    public static ValueTask InsertAsync<T>(this IMutationContext context, SyncModel<T> model, T entity, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        string id = model.IdOf(entity);
        return context.InsertAsync(model.Name, id, model.ToJson(entity), RequireGroups(model, id, entity), cancellationToken);
    }

    /// <summary>
    /// Reads the entity <paramref name="id"/>, applies <paramref name="change"/> to it and writes what changed; returns
    /// the changed entity. Refused with <c>not_found</c> when there is none. Only the top-level fields whose JSON
    /// <paramref name="change"/> changed are sent as the patch, so the fields it left alone keep what the record holds
    /// (two mutations that edit different fields both keep their edit). The record's groups become the ones the rules
    /// give the changed entity: one that changes a group field moves the record, and the readers of a group it
    /// leaves learn that it is gone. When nothing changed, nothing is written.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="change"/> changed the entity's id.</exception>
    public static async ValueTask<T> UpdateAsync<T>(this IMutationContext context, SyncModel<T> model, string id, Action<T> change, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(change);
        Record record = await context.GetAsync(model.Name, id, cancellationToken).ConfigureAwait(false)
            ?? throw MutationRejectedException.NotFound($"There is no {model.Name} '{id}'.");
        T entity = model.FromJson(record.Data);
        // The entity's own JSON before the change, not the stored text: a field the record lacks, or holds in another
        // form the contract reads, is not a change.
        JsonObject before = model.ToJson(entity);
        change(entity);
        if (model.IdOf(entity) != id)
        {
            throw new InvalidOperationException($"An update of the {model.Name} '{id}' changed its id.");
        }
        JsonObject patch = Changed(before, model.ToJson(entity));
        if (patch.Count > 0)
        {
            await context.UpdateAsync(model.Name, id, patch, RequireGroups(model, id, entity), cancellationToken).ConfigureAwait(false);
        }
        return entity;
    }

    /// <summary>Deletes the record <paramref name="id"/> of <paramref name="model"/>. Refused with <c>not_found</c>
    /// when there is none.</summary>
    public static ValueTask DeleteAsync<T>(this IMutationContext context, SyncModel<T> model, string id, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        return context.DeleteAsync(model.Name, id, cancellationToken);
    }

    /// <summary>The fields of <paramref name="after"/> whose JSON differs from <paramref name="before"/>'s; a field
    /// the contract stopped writing (a null it omits) is set to null.</summary>
    private static JsonObject Changed(JsonObject before, JsonObject after)
    {
        var patch = new JsonObject();
        foreach ((string field, JsonNode? value) in after)
        {
            if (!before.TryGetPropertyValue(field, out JsonNode? old) || !JsonNode.DeepEquals(old, value))
            {
                patch[field] = value?.DeepClone();
            }
        }
        foreach ((string field, _) in before)
        {
            if (!after.ContainsKey(field))
            {
                patch[field] = null;
            }
        }
        return patch;
    }

    private static IReadOnlyList<string> RequireGroups<T>(SyncModel<T> model, string id, T entity) where T : class
    {
        IReadOnlyList<string> groups = model.GroupsOf(entity);
        return groups.Count > 0
            ? groups
            : throw MutationRejectedException.InvalidArgs($"The {model.Name} '{id}' would belong to no sync group.");
    }
}
