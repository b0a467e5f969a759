using System.Globalization;
using System.Linq.Expressions;
using System.Text.Json.Serialization.Metadata;

namespace Tether.Mutators;

/// <summary>Declares the rules that put a <see cref="SyncModel{T}"/>'s records in their sync groups.</summary>
public sealed class SyncGroupRules<T> where T : class
{
    private readonly JsonTypeInfo<T> _json;
    private readonly List<SyncGroupRule<T>> _rules = [];

    internal SyncGroupRules(JsonTypeInfo<T> json) => _json = json;

    internal IReadOnlyList<SyncGroupRule<T>> Rules => _rules;

    /// <summary>A record belongs to the group <c>prefix + value</c> of one of its own fields (<c>"team:"</c> and
    /// <c>i =&gt; i.TeamId</c>); none when the field is null. The field must be part of the record's JSON, so that
    /// the client computes the same groups as the server, and on the server it is a column the database filters on.</summary>
    public SyncGroupRules<T> Column<TValue>(string prefix, Expression<Func<T, TValue>> column)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        _rules.Add(new SyncGroupRule<T>(prefix, column, JsonMembers.PropertyOf(_json, column)));
        return this;
    }

    /// <summary>Every record belongs to <paramref name="group"/> (a group everyone who may read the model is in).</summary>
    public SyncGroupRules<T> Constant(string group)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        _rules.Add(new SyncGroupRule<T>(group, null, null));
        return this;
    }
}

/// <summary>One rule of a <see cref="SyncModel{T}"/>: either every record is in the group <see cref="Prefix"/>
/// (<see cref="Column"/> null), or a record is in <c>Prefix + </c> the value of its <see cref="Column"/>.</summary>
public sealed class SyncGroupRule<T> where T : class
{
    private readonly JsonPropertyInfo? _property;

    internal SyncGroupRule(string prefix, LambdaExpression? column, JsonPropertyInfo? property)
    {
        Prefix = prefix;
        Column = column;
        _property = property;
    }

    /// <summary>The text before the field's value; for a constant rule, the whole group.</summary>
    public string Prefix { get; }

    /// <summary>The field the group comes from (<c>i =&gt; i.TeamId</c>), or null for a constant rule.</summary>
    public LambdaExpression? Column { get; }

    /// <summary>The JSON name of <see cref="Column"/>'s field, or null for a constant rule.</summary>
    public string? JsonName => _property?.Name;

    /// <summary>The group of <paramref name="entity"/> by this rule, or null when its field is null.</summary>
    public string? GroupOf(T entity)
    {
        if (_property is null)
        {
            return Prefix;
        }
        return Text(_property.Get!(entity)) is { } value ? Prefix + value : null;
    }

    /// <summary>A field's value as the invariant text a group or an id is made of.</summary>
    internal static string? Text(object? value) => value switch
    {
        null => null,
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
