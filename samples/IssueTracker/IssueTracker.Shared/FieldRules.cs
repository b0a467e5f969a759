using Tether.Mutators;

namespace IssueTracker;

/// <summary>
/// Limits on ids and text, shared by the mutators and the server's write policy so that both paths into the data
/// refuse the same things with <c>invalid_args</c>.
/// </summary>
public static class FieldRules
{
    public const int MaxIdLength = 128;
    public const int MaxNameLength = 500;
    public const int MaxTextLength = 10_000;

    public static string RequireId(string? value, string field) => RequireText(value, field, MaxIdLength);

    /// <summary>Team ids end up inside member ids (<c>team:user</c>), so a ':' in one would let two memberships
    /// share an id.</summary>
    public static string RequireTeamId(string? value, string field)
    {
        var id = RequireId(value, field);
        return id.Contains(':', StringComparison.Ordinal)
            ? throw MutationRejectedException.InvalidArgs($"'{field}' of a team may not contain ':'.")
            : id;
    }

    public static string RequireName(string? value, string field) => RequireText(value, field, MaxNameLength);

    public static string RequireText(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw MutationRejectedException.InvalidArgs($"'{field}' must not be empty.");
        }
        return value.Length <= maxLength
            ? value
            : throw MutationRejectedException.InvalidArgs($"'{field}' is longer than {maxLength} characters.");
    }

    /// <summary>Free text may be empty, only its length is bounded.</summary>
    public static string? OptionalText(string? value, string field, int maxLength = MaxTextLength) =>
        value is null || value.Length <= maxLength
            ? value
            : throw MutationRejectedException.InvalidArgs($"'{field}' is longer than {maxLength} characters.");

    public static string RequireStatus(string? value, string field = "status") =>
        IssueStatus.IsValid(value)
            ? value!
            : throw MutationRejectedException.InvalidArgs(
                $"'{field}' must be one of {string.Join(", ", IssueStatus.All)}" + (value is null ? "." : $", not '{value}'."));
}
