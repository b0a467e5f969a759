using System.Linq.Expressions;
using System.Text.RegularExpressions;

namespace Tether.EntityFrameworkCore.Internal.Wal;

/// <summary>
/// The CLR type Npgsql reads a PostgreSQL column type as, from the write-ahead log in binary mode (its default type
/// for the column: <c>timestamptz</c> is a UTC <see cref="DateTime"/>, <c>date</c> a <see cref="DateOnly"/>,
/// <c>time</c> a <see cref="TimeOnly"/>), and how such a value becomes the type EF Core gives the column
/// (a <see cref="DateTimeOffset"/> property on <c>timestamptz</c>, a <see cref="byte"/> on <c>smallint</c>).
/// </summary>
internal static partial class WalColumnTypes
{
    /// <summary>The CLR type Npgsql reads <paramref name="storeType"/> as (<c>character varying(20)</c>,
    /// <c>timestamp(3) with time zone</c>), or null for a type it is not known to read (arrays, enums, ranges…).</summary>
    public static Type? ReadType(string storeType)
        => Modifiers().Replace(storeType, "").Trim().ToLowerInvariant() switch
        {
            "text" or "character varying" or "varchar" or "character" or "char" or "bpchar" or "citext" or "json" or "jsonb" or "name" => typeof(string),
            "uuid" => typeof(Guid),
            "smallint" or "int2" => typeof(short),
            "integer" or "int" or "int4" => typeof(int),
            "bigint" or "int8" => typeof(long),
            "boolean" or "bool" => typeof(bool),
            "numeric" or "decimal" => typeof(decimal),
            "real" or "float4" => typeof(float),
            "double precision" or "float8" => typeof(double),
            "timestamp with time zone" or "timestamptz" or "timestamp without time zone" or "timestamp" => typeof(DateTime),
            "date" => typeof(DateOnly),
            "time without time zone" or "time" => typeof(TimeOnly),
            "interval" => typeof(TimeSpan),
            "bytea" => typeof(byte[]),
            _ => null,
        };

    /// <summary><paramref name="read"/> (a value Npgsql read) as a <paramref name="target"/>, or null when there is no
    /// exact conversion.</summary>
    public static Expression? Convert(Expression read, Type target)
    {
        Type source = read.Type;
        if (source == target)
        {
            return read;
        }
        if (source == typeof(DateTime) && target == typeof(DateTimeOffset))
        {
            return Expression.Call(new Func<DateTime, DateTimeOffset>(AtUtc).Method, read);
        }
        if (source == typeof(DateOnly) && target == typeof(DateTime))
        {
            return Expression.Call(new Func<DateOnly, DateTime>(AtMidnight).Method, read);
        }
        if (source == typeof(TimeOnly) && target == typeof(TimeSpan))
        {
            return Expression.Call(read, typeof(TimeOnly).GetMethod(nameof(TimeOnly.ToTimeSpan))!);
        }
        if (IsInteger(source) && IsInteger(target))
        {
            // The column holds only what the property's type wrote there (a byte in a smallint, a uint in a bigint).
            return Expression.Convert(read, target);
        }
        return null;
    }

    /// <summary>A <c>timestamptz</c> as Npgsql reads it into a <see cref="DateTimeOffset"/>: offset zero. Its
    /// infinities come as <see cref="DateTime.MaxValue"/> and <see cref="DateTime.MinValue"/> of no kind.</summary>
    private static DateTimeOffset AtUtc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>A <c>date</c> as Npgsql reads it into a <see cref="DateTime"/>: midnight, of no kind.</summary>
    private static DateTime AtMidnight(DateOnly value) => value.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);

    private static bool IsInteger(Type type)
        => type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
            || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong);

    /// <summary>A type's length, precision or scale (<c>(20)</c>, <c>(18,2)</c>), which does not change how it is read.</summary>
    [GeneratedRegex(@"\(\s*\d+\s*(,\s*\d+\s*)?\)")]
    private static partial Regex Modifiers();
}
