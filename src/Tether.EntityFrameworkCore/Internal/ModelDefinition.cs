using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>A model as the app declared it with <see cref="EntityFrameworkSyncBuilder{TDb}.Model{T}"/>, before it
/// is checked against the app's EF model.</summary>
internal abstract class ModelDefinition
{
    public abstract string Name { get; }

    public abstract Type EntityType { get; }

    /// <summary>The model checked against <paramref name="model"/>, or null when it does not fit (each reason is
    /// added to <paramref name="problems"/>).</summary>
    public abstract MappedModel? Build(IModel model, List<string> problems);
}

internal sealed class ModelDefinition<T>(SyncModel<T> model, IReadOnlyList<string> ignored, IReadOnlyList<Expression<Func<T, string?>>> groupOwners) : ModelDefinition
    where T : class
{
    public override string Name => model.Name;

    public override Type EntityType => typeof(T);

    public override MappedModel? Build(IModel efModel, List<string> problems)
    {
        int known = problems.Count;
        string what = $"The model '{Name}' ({typeof(T).Name})";
        IEntityType? entity = efModel.FindEntityType(typeof(T));
        if (entity is null)
        {
            problems.Add($"{what}: {typeof(T).Name} is not an entity of the DbContext's model.");
            return null;
        }
        if (entity.GetTableName() is null)
        {
            problems.Add($"{what}: the entity is not mapped to a table.");
        }
        IProperty? key = Key(entity, what, problems);
        JsonTypeInfo<T> json = Served();
        string? idMember = MemberOf(model.Json.Properties.First(p => p.Name == "id"));
        if (key is not null && idMember != key.Name)
        {
            problems.Add($"{what}: its JSON 'id' is {(idMember is null ? "no member" : $"the member {idMember}")}, but its key is {key.Name}; a record's id is its key.");
        }
        foreach (string member in ignored)
        {
            if (member == key?.Name)
            {
                problems.Add($"{what}: the key {member} is ignored; a record's id is its key.");
            }
            else if (entity.FindProperty(member) is null && !model.Json.Properties.Any(p => Serialized(p) && MemberOf(p) == member))
            {
                problems.Add($"{what}: the ignored member {member} is neither a column of the entity nor in its JSON.");
            }
        }
        foreach (SyncGroupRule<T> rule in model.GroupRules)
        {
            if (rule.Column is not { } column)
            {
                continue;
            }
            string member = JsonMembers.MemberName(column);
            if (entity.FindProperty(member) is null)
            {
                problems.Add($"{what}: the group rule '{rule.Prefix}' reads {member}, which is not a column of the entity.");
            }
            else if (ignored.Contains(member, StringComparer.Ordinal) || !json.Properties.Any(p => Serialized(p) && MemberOf(p) == member))
            {
                problems.Add($"{what}: the group rule '{rule.Prefix}' reads {member}, which is not in the record's JSON; a client computes a record's groups from its JSON.");
            }
            else if (!GroupFilter<T>.IsSupported(column.ReturnType))
            {
                problems.Add($"{what}: the group rule '{rule.Prefix}' reads {member}, a {column.ReturnType.Name}; a group column is text, a Guid or an integer.");
            }
        }
        List<IProperty> synced = Synced(entity, json, key, what, problems);
        if (problems.Count > known || key is null)
        {
            return null;
        }
        MemberInfo keyMember = (MemberInfo?)key.PropertyInfo ?? key.FieldInfo!;
        return key.ClrType switch
        {
            Type t when t == typeof(string) => new MappedModel<T, string>(model, json, StringKey.Instance, keyMember, synced, groupOwners),
            Type t when t == typeof(Guid) => new MappedModel<T, Guid>(model, json, GuidKey.Instance, keyMember, synced, groupOwners),
            Type t when t == typeof(int) => new MappedModel<T, int>(model, json, Int32Key.Instance, keyMember, synced, groupOwners),
            _ => new MappedModel<T, long>(model, json, Int64Key.Instance, keyMember, synced, groupOwners),
        };
    }

    private static IProperty? Key(IEntityType entity, string what, List<string> problems)
    {
        IKey? key = entity.FindPrimaryKey();
        if (key is null)
        {
            problems.Add($"{what}: the entity has no key; a record's id is its key.");
            return null;
        }
        if (key.Properties.Count != 1)
        {
            problems.Add($"{what}: its key ({string.Join(", ", key.Properties.Select(p => p.Name))}) has {key.Properties.Count} columns; a synced entity's key is one column, the record's id.");
            return null;
        }
        IProperty property = key.Properties[0];
        if (!KeyFormats.IsSupported(property.ClrType))
        {
            problems.Add($"{what}: its key {property.Name} is a {property.ClrType.Name}; a record's id is a key of text, a Guid, an int or a long.");
            return null;
        }
        return property;
    }

    /// <summary>The columns the JSON carries besides the key: what a mutator's write sets.</summary>
    private static List<IProperty> Synced(IEntityType entity, JsonTypeInfo<T> json, IProperty? key, string what, List<string> problems)
    {
        var synced = new List<IProperty>();
        foreach (JsonPropertyInfo property in json.Properties.Where(Serialized))
        {
            string? member = MemberOf(property);
            if (member is not null && member == key?.Name)
            {
                continue;
            }
            IProperty? column = member is null ? null : entity.FindProperty(member);
            if (column is null)
            {
                bool navigation = member is not null && (entity.FindNavigation(member) is not null || entity.FindSkipNavigation(member) is not null);
                problems.Add(navigation
                    ? $"{what}: its JSON property '{property.Name}' is the navigation {member}; a record holds its row's own columns, so ignore it."
                    : $"{what}: its JSON property '{property.Name}' is not a column of the entity; ignore it.");
            }
            else if (column.ValueGenerated != ValueGenerated.Never)
            {
                problems.Add($"{what}: its column {member} is generated by the database ({column.ValueGenerated}), so a record written by a mutator would not hold its value; ignore it, or let the app set it.");
            }
            else
            {
                synced.Add(column);
            }
        }
        return synced;
    }

    /// <summary>The model's contract without the ignored members, refusing a field the entity does not have (a
    /// mutator's write of an ignored member, or a typo, is <c>invalid_args</c> rather than silently dropped).</summary>
    private JsonTypeInfo<T> Served()
    {
        JsonSerializerOptions source = model.Json.Options;
        var options = new JsonSerializerOptions(source)
        {
            TypeInfoResolver = source.TypeInfoResolver!.WithAddedModifier(type =>
            {
                if (type.Type != typeof(T))
                {
                    return;
                }
                type.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
                for (int i = type.Properties.Count - 1; i >= 0; i--)
                {
                    if (MemberOf(type.Properties[i]) is { } member && ignored.Contains(member, StringComparer.Ordinal))
                    {
                        type.Properties.RemoveAt(i);
                    }
                }
            }),
        };
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }

    /// <summary>Whether the contract reads or writes the property: a source-generated contract also lists the members
    /// it ignores (<c>[JsonIgnore]</c>), with neither a getter nor a setter.</summary>
    private static bool Serialized(JsonPropertyInfo property) => property.Get is not null || property.Set is not null;

    /// <summary>The CLR member a JSON property serializes, found as <see cref="JsonMembers.PropertyOf"/> does.</summary>
    internal static string? MemberOf(JsonPropertyInfo property)
    {
        if (property.AttributeProvider is MemberInfo member)
        {
            return member.Name;
        }
        JsonNamingPolicy? policy = property.Options.PropertyNamingPolicy;
        foreach (PropertyInfo candidate in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if ((policy?.ConvertName(candidate.Name) ?? candidate.Name) == property.Name)
            {
                return candidate.Name;
            }
        }
        return null;
    }
}
