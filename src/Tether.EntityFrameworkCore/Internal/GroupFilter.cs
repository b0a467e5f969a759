using System.Globalization;
using System.Linq.Expressions;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// One group rule of a mapped model as SQL: which of the requested groups are this rule's, as a condition on the
/// rule's column that the database evaluates (with the column's index). A column rule takes the groups that start
/// with its prefix, reads the rest as a value of the column's type and matches the rows whose column is one of them
/// (<c>Contains</c>, one array parameter); a constant rule matches every row when its group is requested.
/// </summary>
internal abstract class GroupFilter<T> where T : class
{
    /// <summary>The condition on <paramref name="row"/> that puts it in one of <paramref name="groups"/> by this
    /// rule, <c>true</c> when every row is, or null when no row is.</summary>
    public abstract Expression? Match(ParameterExpression row, IEnumerable<string> groups);

    /// <summary>What <see cref="Match"/> decides, as values for SQL written by hand: null when no row is in one of
    /// <paramref name="groups"/> by this rule, <see cref="GroupRows.All"/> when every row is, else the values the
    /// rule's column is compared with.</summary>
    public abstract GroupRows? Rows(IEnumerable<string> groups);

    /// <summary>The filter of <paramref name="rule"/>, whose column type <see cref="IsSupported"/> accepts.</summary>
    public static GroupFilter<T> For(SyncGroupRule<T> rule)
    {
        if (rule.Column is not { } column)
        {
            return new ConstantFilter<T>(rule.Prefix);
        }
        Type filter = typeof(ColumnFilter<,>).MakeGenericType(typeof(T), column.ReturnType);
        return (GroupFilter<T>)Activator.CreateInstance(filter, rule.Prefix, column)!;
    }

    /// <summary>Whether a rule column of <paramref name="type"/> can be matched in SQL: text, a Guid or an integer,
    /// nullable or not.</summary>
    public static bool IsSupported(Type type)
    {
        Type value = Nullable.GetUnderlyingType(type) ?? type;
        return value == typeof(string) || value == typeof(Guid) || value == typeof(int) || value == typeof(long) || value == typeof(short);
    }
}

internal sealed class ConstantFilter<T>(string group) : GroupFilter<T> where T : class
{
    public override Expression? Match(ParameterExpression row, IEnumerable<string> groups)
        => Rows(groups) is null ? null : Expression.Constant(true);

    public override GroupRows? Rows(IEnumerable<string> groups)
        => groups.Contains(group, StringComparer.Ordinal) ? GroupRows.All : null;
}

internal sealed class ColumnFilter<T, TValue>(string prefix, LambdaExpression column) : GroupFilter<T> where T : class
{
    private static readonly System.Reflection.MethodInfo Contains = new Func<IEnumerable<TValue>, TValue, bool>(Enumerable.Contains).Method;
    private static readonly Type ValueType = Nullable.GetUnderlyingType(typeof(TValue)) ?? typeof(TValue);

    public override Expression? Match(ParameterExpression row, IEnumerable<string> groups)
        => ValuesIn(groups) is { } values ? Expression.Call(Contains, Expressions.Collection(values.ToArray()), Expressions.Inline(column, row)) : null;

    public override GroupRows? Rows(IEnumerable<string> groups)
        => ValuesIn(groups) is { } values ? new GroupRows(false, [.. values.Select(value => (object)value!)]) : null;

    private List<TValue>? ValuesIn(IEnumerable<string> groups)
    {
        List<TValue>? values = null;
        foreach (string group in groups)
        {
            if (group.StartsWith(prefix, StringComparison.Ordinal) && TryParse(group[prefix.Length..], out TValue value))
            {
                (values ??= []).Add(value);
            }
        }
        return values;
    }

    /// <summary>The column value whose group is <c>prefix + text</c>: only the value's canonical text names it, as
    /// <see cref="SyncGroupRule{T}.GroupOf"/> writes it.</summary>
    private static bool TryParse(string text, out TValue value)
    {
        value = default!;
        object? parsed = ValueType switch
        {
            _ when ValueType == typeof(string) => text,
            _ when ValueType == typeof(Guid) => Guid.TryParseExact(text, "D", out Guid guid) ? guid : null,
            _ when ValueType == typeof(int) => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number) ? number : null,
            _ when ValueType == typeof(long) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number) ? number : null,
            _ when ValueType == typeof(short) => short.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out short number) ? number : null,
            _ => null,
        };
        if (parsed is null || (parsed is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : (string)parsed) != text)
        {
            return false;
        }
        value = (TValue)parsed;
        return true;
    }
}

/// <summary>The rows one group rule puts in the requested groups: every row, or those whose column is one of
/// <see cref="Values"/> (each a non-null value of the column's type).</summary>
internal sealed record GroupRows(bool IsAll, IReadOnlyList<object> Values)
{
    public static readonly GroupRows All = new(true, []);
}
