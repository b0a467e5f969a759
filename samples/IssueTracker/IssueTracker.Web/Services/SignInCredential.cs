using System.Text;
using System.Text.Json;

namespace IssueTracker.Web.Services;

/// <summary>
/// What the sign-in box takes: a user id, sent as a development token (<c>dev:&lt;id&gt;</c>, which the sample server
/// accepts only in Development), or a JWT issued by the app's identity provider, whose <c>sub</c> is the user id.
/// </summary>
public sealed record SignInCredential(string UserId, string Token)
{
    /// <summary>The credential the text names, or null when it is empty or a token without a <c>sub</c>.</summary>
    public static SignInCredential? Parse(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }
        string[] parts = text.Split('.');
        if (parts.Length != 3)
        {
            return new SignInCredential(text, "dev:" + text);
        }
        return SubjectOf(parts[1]) is { Length: > 0 } subject ? new SignInCredential(subject, text) : null;
    }

    /// <summary>The <c>sub</c> of a JWT's payload; the server checks the signature, the page only needs the id.</summary>
    private static string? SubjectOf(string payload)
    {
        try
        {
            string base64 = payload.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            using JsonDocument claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            return claims.RootElement.ValueKind == JsonValueKind.Object
                && claims.RootElement.TryGetProperty("sub", out JsonElement sub) && sub.ValueKind == JsonValueKind.String
                ? sub.GetString()
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
