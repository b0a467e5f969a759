using System.Text.RegularExpressions;

namespace Tether;

/// <summary>Rules for model names: <c>[A-Za-z][A-Za-z0-9_]*</c>, at most 64 characters.</summary>
public static partial class ModelNames
{
    public static bool IsValid(string? name) => name is { Length: > 0 and <= 64 } && Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex Pattern();
}
