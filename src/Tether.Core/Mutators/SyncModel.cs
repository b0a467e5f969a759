using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Tether.Mutators;

/// <summary>
/// A model whose records are typed entities, declared once and shared by the client and the server: its name, the
/// JSON contract its records are written with, and the rules that put each record in its sync groups from its own
/// fields. Mutators read and write it through the typed helpers of <c>TypedMutations</c>; on the server,
/// <c>Tether.EntityFrameworkCore</c> maps it to an entity of the app's <c>DbContext</c> and turns the rules into SQL.
/// </summary>
/// <typeparam name="T">The entity type. Its contract must have an <c>id</c> property; a number or a Guid is written as
/// a string there, since record ids are strings.</typeparam>
public sealed class SyncModel<T> where T : class
{
    private readonly JsonPropertyInfo _id;

    /// <summary>A model named after its type in camelCase (<c>Issue</c> is <c>issue</c>, <c>TeamMember</c> is
    /// <c>teamMember</c>), whose records serialize with <paramref name="json"/> and belong to the groups
    /// <paramref name="groups"/> says.</summary>
    public SyncModel(JsonTypeInfo<T> json, Action<SyncGroupRules<T>> groups)
        : this(JsonNamingPolicy.CamelCase.ConvertName(typeof(T).Name), json, groups)
    {
    }

    /// <summary>A model named <paramref name="name"/> whose records serialize with <paramref name="json"/> (from the
    /// app's source-generated <c>JsonSerializerContext</c>) and belong to the groups <paramref name="groups"/> says.</summary>
    public SyncModel(string name, JsonTypeInfo<T> json, Action<SyncGroupRules<T>> groups)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(groups);
        if (!ModelNames.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid model name.", nameof(name));
        }
        Name = name;
        Json = WithStringId(json);
        _id = Json.Properties.FirstOrDefault(p => p.Name == "id")
            ?? throw new ArgumentException($"The JSON contract of {typeof(T).Name} has no 'id' property.", nameof(json));
        var rules = new SyncGroupRules<T>(Json);
        groups(rules);
        if (rules.Rules.Count == 0)
        {
            throw new ArgumentException($"The model '{name}' needs at least one sync group rule.", nameof(groups));
        }
        GroupRules = rules.Rules;
    }

    /// <summary>The model's name, as records and sync actions carry it.</summary>
    public string Name { get; }

    /// <summary>The contract the records are read and written with: the one given, with <c>id</c> always a string.</summary>
    public JsonTypeInfo<T> Json { get; }

    /// <summary>The rules that put a record in its sync groups, in declaration order.</summary>
    public IReadOnlyList<SyncGroupRule<T>> GroupRules { get; }

    /// <summary>The record id of <paramref name="entity"/>: its <c>id</c> property as invariant text.</summary>
    public string IdOf(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return SyncGroupRule<T>.Text(_id.Get!(entity))
            ?? throw new ArgumentException($"The {Name} has no id.", nameof(entity));
    }

    /// <summary>The sync groups <paramref name="entity"/> belongs to by the rules, each once, in rule order.</summary>
    public IReadOnlyList<string> GroupsOf(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var groups = new List<string>(GroupRules.Count);
        foreach (SyncGroupRule<T> rule in GroupRules)
        {
            if (rule.GroupOf(entity) is { } group && !groups.Contains(group, StringComparer.Ordinal))
            {
                groups.Add(group);
            }
        }
        return groups;
    }

    /// <summary>The sync groups of a record's JSON, by the same rules as <see cref="GroupsOf(T)"/>.</summary>
    public IReadOnlyList<string> GroupsOf(JsonObject data) => GroupsOf(FromJson(data));

    /// <summary>The record's JSON object.</summary>
    public JsonObject ToJson(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return JsonSerializer.SerializeToNode(entity, Json)!.AsObject();
    }

    /// <summary>The entity a record's JSON describes.</summary>
    public T FromJson(JsonObject data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Deserialize(Json) ?? throw new JsonException($"A {Name} record is not a JSON object.");
    }

    private static bool IsNumber(Type type)
        => Type.GetTypeCode(Nullable.GetUnderlyingType(type) ?? type) is >= TypeCode.SByte and <= TypeCode.Decimal;

    private static JsonTypeInfo<T> WithStringId(JsonTypeInfo<T> json)
    {
        var options = new JsonSerializerOptions(json.Options)
        {
            TypeInfoResolver = (json.Options.TypeInfoResolver ?? throw new ArgumentException("The contract has no resolver.", nameof(json)))
                .WithAddedModifier(type =>
                {
                    // A Guid is written as a string already; number handling is refused on anything but a number.
                    if (type.Type == typeof(T) && type.Properties.FirstOrDefault(p => p.Name == "id") is { } id && IsNumber(id.PropertyType))
                    {
                        id.NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString;
                    }
                }),
        };
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }
}
