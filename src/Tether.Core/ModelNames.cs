using System.Text.RegularExpressions;

namespace Tether;

/// <summary>Rules for model names: <c>[A-Za-z][A-Za-z0-9_]*</c>, at most 64 characters.</summary>
public static partial class ModelNames
{
    /// <summary>The longest model name, in characters.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="name"/> is a valid model name; false for null, empty, longer than
    /// <see cref="MaxLength"/> or containing other characters.</summary>
    public static bool IsValid(string? name) => name is { Length: > 0 and <= MaxLength } && Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex Pattern();
}
