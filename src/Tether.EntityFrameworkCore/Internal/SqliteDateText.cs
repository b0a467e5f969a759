namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// Whether a date stored in SQLite is in the text form EF Core writes, "yyyy-MM-dd HH:mm:ss.FFFFFFF" (and "zzz" for a
/// DateTimeOffset), of a valid date and time: the form whose JSON <see cref="SqliteJsonQuery{T}"/> writes by putting
/// a 'T' in place of the space, as System.Text.Json writes what EF Core reads from it. Checked here rather than in
/// the query's SQL, where the same checks cost more per row than writing the row's JSON.
/// </summary>
internal static class SqliteDateText
{
    /// <summary>"yyyy-MM-dd HH:mm:ss".</summary>
    private const int DateTimeLength = 19;

    /// <summary>"+HH:mm".</summary>
    private const int ZoneLength = 6;

    /// <summary>'.' and at most seven digits.</summary>
    private const int MostFractionLength = 8;

    public static bool IsCanonical(ReadOnlySpan<byte> text, bool withOffset)
    {
        int zone = withOffset ? ZoneLength : 0;
        int fraction = text.Length - DateTimeLength - zone;
        if (fraction is < 0 or 1 or > MostFractionLength || !IsDateTime(text[..DateTimeLength], out int year))
        {
            return false;
        }
        if (fraction > 0)
        {
            ReadOnlySpan<byte> digits = text.Slice(DateTimeLength + 1, fraction - 1);
            // "FFFFFFF" writes no trailing zero.
            if (text[DateTimeLength] != '.' || !AllDigits(digits) || digits[^1] == '0')
            {
                return false;
            }
        }
        return !withOffset || IsOffset(text[^ZoneLength..], year);
    }

    private static bool IsDateTime(ReadOnlySpan<byte> text, out int year)
    {
        year = 0;
        if (text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':'
            || !Number(text[..4], out year) || !Number(text.Slice(5, 2), out int month) || !Number(text.Slice(8, 2), out int day)
            || !Number(text.Slice(11, 2), out int hour) || !Number(text.Slice(14, 2), out int minute) || !Number(text.Slice(17, 2), out int second))
        {
            return false;
        }
        return year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            && hour <= 23 && minute <= 59 && second <= 59;
    }

    /// <summary>"zzz": at most 14 hours, "+00:00" for none. With an offset, the first and last years are left to EF
    /// Core, which refuses a time whose UTC falls outside them.</summary>
    private static bool IsOffset(ReadOnlySpan<byte> text, int year)
    {
        if (text[0] is not ((byte)'+' or (byte)'-') || text[3] != ':'
            || !Number(text.Slice(1, 2), out int hours) || !Number(text.Slice(4, 2), out int minutes)
            || minutes > 59 || hours * 60 + minutes > 14 * 60)
        {
            return false;
        }
        if (hours == 0 && minutes == 0)
        {
            return text[0] == '+';
        }
        return year is > 1 and < 9999;
    }

    private static bool Number(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (byte digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            value = value * 10 + digit - '0';
        }
        return true;
    }

    private static bool AllDigits(ReadOnlySpan<byte> digits) => Number(digits, out _);
}
