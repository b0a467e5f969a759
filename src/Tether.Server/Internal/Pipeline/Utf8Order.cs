namespace Tether.Server.Internal.Pipeline;

/// <summary>The order of strings by their UTF-8 bytes (that is, by code point), the order both stores sort ids and
/// group names in. Ordinal comparison of UTF-16 differs for characters above U+E000 against surrogate pairs.</summary>
internal static class Utf8Order
{
    public static int Compare(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }
        int length = Math.Min(a.Length, b.Length);
        for (int i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return CodePointRank(a[i]) - CodePointRank(b[i]);
            }
        }
        return a.Length - b.Length;
    }

    // Surrogates (U+D800..U+DFFF) stand for code points above U+FFFF, so they rank after U+E000..U+FFFF.
    private static int CodePointRank(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
}
