using Tether.Server.Internal.Http;

namespace Tether.Server.Internal.Auth;

internal static class UserIds
{
    public const int MaxLength = 128;

    /// <summary>User ids go into group names and logs: printable, well-formed, no separators that could forge a group.</summary>
    public static bool IsValid(string? id)
        => id is { Length: > 0 and <= MaxLength } && id.All(c => !char.IsControl(c) && !char.IsWhiteSpace(c)) && WellFormed.IsText(id);
}
