using System.Globalization;
using System.Linq.Expressions;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>How a mapped entity's key is a record id: its canonical text (what the model's JSON writes as <c>id</c>)
/// and back. An id that is not the canonical text of a key (<c>"007"</c> for an int key) names no row.</summary>
internal abstract class KeyFormat<TKey> where TKey : notnull
{
    public abstract bool TryParse(string id, out TKey key);

    public abstract string Format(TKey key);

    /// <summary>The condition <c>key &gt; after</c>, in a form the database's provider translates.</summary>
    public virtual Expression After(Expression key, Expression after) => Expression.GreaterThan(key, after);
}

internal static class KeyFormats
{
    /// <summary>The format of a key of <paramref name="type"/>, or null for a type a record id cannot be.</summary>
    public static bool IsSupported(Type type) => type == typeof(string) || type == typeof(Guid) || type == typeof(int) || type == typeof(long);
}

internal sealed class StringKey : KeyFormat<string>
{
    public static readonly StringKey Instance = new();

    public override bool TryParse(string id, out string key)
    {
        key = id;
        return true;
    }

    public override string Format(string key) => key;

    public override Expression After(Expression key, Expression after)
        => Expression.GreaterThan(Expression.Call(typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!, key, after), Expression.Constant(0));
}

internal sealed class GuidKey : KeyFormat<Guid>
{
    public static readonly GuidKey Instance = new();

    public override bool TryParse(string id, out Guid key)
        => Guid.TryParseExact(id, "D", out key) && Format(key) == id;

    public override string Format(Guid key) => key.ToString("D", CultureInfo.InvariantCulture);

    public override Expression After(Expression key, Expression after)
        => Expression.GreaterThan(Expression.Call(key, typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!, after), Expression.Constant(0));
}

internal sealed class Int32Key : KeyFormat<int>
{
    public static readonly Int32Key Instance = new();

    public override bool TryParse(string id, out int key)
        => int.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out key) && Format(key) == id;

    public override string Format(int key) => key.ToString(CultureInfo.InvariantCulture);
}

internal sealed class Int64Key : KeyFormat<long>
{
    public static readonly Int64Key Instance = new();

    public override bool TryParse(string id, out long key)
        => long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out key) && Format(key) == id;

    public override string Format(long key) => key.ToString(CultureInfo.InvariantCulture);
}
