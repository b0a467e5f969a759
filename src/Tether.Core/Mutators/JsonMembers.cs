using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace Tether.Mutators;

/// <summary>Finds the JSON property behind a property of a type, through the type's serialization contract: what
/// lets a typed expression (<c>i =&gt; i.TeamId</c>) name a field of a record's JSON, trim-safe.</summary>
public static class JsonMembers
{
    /// <summary>The property of <paramref name="type"/>'s contract that serializes the member <paramref name="member"/>
    /// selects (<c>i =&gt; i.ProjectId</c>). Throws <see cref="ArgumentException"/> when the expression is not a
    /// property of the row itself or the contract does not serialize it.</summary>
    public static JsonPropertyInfo PropertyOf<T, TValue>(JsonTypeInfo<T> type, Expression<Func<T, TValue>> member)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(member);
        string name = MemberName(member);
        foreach (JsonPropertyInfo property in type.Properties)
        {
            if (property.AttributeProvider is MemberInfo serialized && serialized.Name == name)
            {
                return property;
            }
        }
        // Trimmed apps may lose the member behind a property; its name under the contract's policy still finds it.
        string named = type.Options.PropertyNamingPolicy?.ConvertName(name) ?? name;
        return type.Properties.FirstOrDefault(p => p.Name == named)
            ?? throw new ArgumentException($"'{name}' is not a serialized property of {typeof(T).Name}.", nameof(member));
    }

    /// <summary>The name of the member <paramref name="member"/> selects (<c>i =&gt; i.ProjectId</c>).</summary>
    public static string MemberName(LambdaExpression member)
    {
        ArgumentNullException.ThrowIfNull(member);
        Expression body = member.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : member.Body;
        if (body is not MemberExpression { Member: MemberInfo selected } access || access.Expression != member.Parameters[0])
        {
            throw new ArgumentException("The member is a property of the row itself, as in 'i => i.ProjectId'.", nameof(member));
        }
        return selected.Name;
    }
}
